// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// What a consistency pool keeps to check its snapshots: per VDI the log of guest writes in the order
/// the tapdisk handed them to the engine (each write's data is its ``SectorTag``), the snapshots taken
/// in the running pool, and — while a deliberately broken snapshot is scheduled — what each write
/// overwrote.
struct WriteJournal {
  /// Keep the write log and tag written data (set before the run).
  var recordWrites = false
  var writeLogs: [[WriteRecord]] = []
  /// Snapshots scheduled or taken, in scheduling order.
  var snapshots: [SnapshotRecord] = []
  /// Save what each write overwrites (a `skipDrain` snapshot is scheduled).
  var keepPreimages = false
  /// The pool's seed (snapshot leaves' UUIDs derive from it).
  var seed: UInt64 = 1

  /// Logs the slot's write of VDI `vdi`, fills `data` with its tags and, when asked, saves the
  /// sectors it is about to overwrite.
  mutating func log(
    _ slot: inout RequestSlot, vdi: Int, at now: SimTime, data: EngineBuffer, chain: VHDChain,
    engine: inout EngineCall
  ) throws {
    let index = writeLogs[vdi].count
    slot.logIndex = index
    writeLogs[vdi].append(
      WriteRecord(
        sequence: index, vm: Int(slot.vm), guestSequence: slot.guestSequence, lba: slot.sector,
        sectors: slot.sectors, dispatched: now))
    SectorTag.fill(data.pointer, write: index, lba: slot.sector, sectors: slot.sectors)
    guard keepPreimages else { return }
    var pre = [UInt8](repeating: 0, count: slot.sectors * 512)
    let (sector, count) = (slot.sector, slot.sectors)
    try pre.withUnsafeMutableBytes {
      try chain.read(sector: sector, count: count, into: $0.baseAddress!, accounting: &engine.accounting)
    }
    slot.preimage = pre
  }

  /// The guest saw write `write` of VDI `vdi` complete.
  mutating func completed(vdi: Int, write: Int, at now: SimTime) { writeLogs[vdi][write].completed = now }
}

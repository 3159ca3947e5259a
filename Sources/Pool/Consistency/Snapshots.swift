// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// One guest write as the pool's write log keeps it (pools with `recordWrites` on).
///
/// The log of a VDI is in the order the tapdisk handed writes to the engine, which is the order their
/// data lands in the chain (the engine call is made when the tapdisk takes the request; the disk model
/// only times it). `sequence` is the index in that log and names the write's data (`SectorTag`).
public struct WriteRecord: Sendable, Equatable {
  /// Index in the VDI's write log.
  public var sequence: Int
  public var vm: Int
  /// The generator's `GuestRequest.sequence` (−1 for the built-in workload).
  public var guestSequence: Int
  public var lba: UInt64
  public var sectors: Int
  /// When the tapdisk took the request (and the engine wrote its data).
  public var dispatched: SimTime
  /// When the guest saw it complete (nil: still in flight when the run stopped).
  public var completed: SimTime?

  public init(
    sequence: Int, vm: Int, guestSequence: Int, lba: UInt64, sectors: Int, dispatched: SimTime,
    completed: SimTime? = nil
  ) {
    self.sequence = sequence
    self.vm = vm
    self.guestSequence = guestSequence
    self.lba = lba
    self.sectors = sectors
    self.dispatched = dispatched
    self.completed = completed
  }
}

/// The data a recorded write carries: every 512-byte sector holds 64 copies of one 64-bit tag naming
/// the write (its index in the VDI's write log) and the sector, so a sector read back says exactly
/// which write put it there. Tag 0 is "never written by a guest" (consistency runs start on an empty
/// chain, which reads as zeros).
public enum SectorTag {
  static let lbaBits: UInt64 = 36
  static let lbaMask: UInt64 = (1 << 36) - 1

  /// The tag of sector `lba` written by write `write` of the log (write < 2²⁸, lba < 2³⁶).
  @inlinable
  public static func tag(write: Int, lba: UInt64) -> UInt64 {
    (UInt64(write + 1) << 36) | (lba & ((1 << 36) - 1))
  }

  /// The write log index a tag names (nil for 0, never written).
  public static func write(of tag: UInt64) -> Int? { tag == 0 ? nil : Int(tag >> lbaBits) - 1 }

  /// The sector (modulo 2³⁶) a tag names.
  public static func lba(of tag: UInt64) -> UInt64 { tag & lbaMask }

  /// "write #n @lba" or "unwritten"; anything else (a torn or foreign sector) in hex.
  public static func describe(_ tag: UInt64) -> String {
    guard let w = write(of: tag) else { return "unwritten" }
    return "write #\(w) @\(lba(of: tag))"
  }

  /// Fills `sectors` sectors at `pointer` with the tags of write `write` starting at `lba`.
  static func fill(_ pointer: UnsafeMutableRawPointer, write: Int, lba: UInt64, sectors: Int) {
    let words = pointer.assumingMemoryBound(to: UInt64.self)
    for s in 0..<sectors {
      let t = tag(write: write, lba: lba + UInt64(s)).littleEndian
      let base = words + s * 64
      for k in 0..<64 { base[k] = t }
    }
  }
}

/// One snapshot of a running pool: when it was asked for, paused, taken and resumed, where its content
/// is, and which writes it must hold.
///
/// blktap semantics: the leaf the VDI was writing becomes the snapshot (a frozen, read-only parent) and
/// a new empty child becomes the VDI's leaf, so `imagePath` is the *old* leaf's path and the snapshot's
/// content is the chain ending there.
public struct SnapshotRecord: Sendable, Equatable {
  public var index: Int
  public var vdi: Int
  /// Deliberately broken: taken while writes are in flight, which then land in the new leaf.
  public var skipDrain: Bool
  /// When it was scheduled for.
  public var requestedAt: SimTime
  /// When the tapdisk paused (new requests held from here). Later than `requestedAt` when another
  /// pause or snapshot of the VDI was still in progress.
  public var pausedAt: SimTime?
  /// When the snapshot was made (after the drain, or at the pause with `skipDrain`).
  public var takenAt: SimTime?
  /// When the tapdisk ran again on the new chain (reopen finished).
  public var resumedAt: SimTime?
  /// The snapshot's image (the old leaf).
  public var imagePath: String?
  /// The VDI's new leaf.
  public var leafPath: String?
  /// Writes of the VDI's log before the snapshot: `0..<cut`. These are the writes the tapdisk had taken
  /// when it paused (completed, or in flight and so drained before the snapshot).
  public var cut: Int
  /// Log indices of the writes in flight at the pause.
  public var inFlightWrites: [Int]

  /// How long the VDI served no new request: pause to resume.
  public var stall: SimTime? {
    guard let p = pausedAt, let r = resumedAt else { return nil }
    return r - p
  }
}

extension PoolModel {
  /// Pauses the VDI for snapshot `k`, or retries shortly when the tapdisk is busy with another pause.
  mutating func beginSnapshot(_ k: Int, sim: inout Simulator<PoolEvent>) {
    let vdi = snapshots[k].vdi
    guard tapdisks[vdi].state == .running, pendingSnapshot[vdi] == nil, awaitingResume[vdi] == nil else {
      sim.schedule(.snapshot(index: Int32(k)), after: .microseconds(100))
      return
    }
    let now = sim.now
    snapshots[k].pausedAt = now
    snapshots[k].cut = writeLogs[vdi].count
    var inFlight: [Int] = []
    for i in slots.indices
    where slots[i].kind == .guest && slots[i].inEngine && Int(slots[i].vdi) == vdi && slots[i].logIndex >= 0 {
      inFlight.append(slots[i].logIndex)
    }
    snapshots[k].inFlightWrites = inFlight.sorted()
    if snapshots[k].skipDrain {
      tapdisks[vdi].waiting.forEach { s in
        if slots[Int(s)].heldSince == .min { slots[Int(s)].heldSince = now }
      }
      tapdisks[vdi].state = .paused
      takeSnapshot(k, sim: &sim)
      return
    }
    pause(vdi, sim: &sim)
    if tapdisks[vdi].state == .paused {
      takeSnapshot(k, sim: &sim)
    } else {
      pendingSnapshot[vdi] = k
    }
  }

  /// The snapshot itself, on a paused tapdisk: close the chain, `VHDSnapshot.create` a child of the
  /// leaf (the leaf becomes the snapshot), reopen on the new leaf (metadata read through the disk),
  /// and run again when that read completes.
  mutating func takeSnapshot(_ k: Int, sim: inout Simulator<PoolEvent>) {
    let vdi = snapshots[k].vdi
    do {
      // Broken mode: the writes in flight have not reached the old leaf yet (undo them, newest
      // first), and land in the new leaf after the snapshot.
      var late: [Int] = []
      if snapshots[k].skipDrain {
        for i in slots.indices
        where slots[i].kind == .guest && slots[i].inEngine && Int(slots[i].vdi) == vdi
          && slots[i].logIndex >= 0
        {
          late.append(i)
        }
        late.sort { slots[$0].logIndex < slots[$1].logIndex }
        let chain = tapdisks[vdi].chain
        tap.begin(levels: tapdisks[vdi].levelVolumes)
        for i in late.reversed() {
          try slots[i].preimage.withUnsafeBytes {
            try chain.write(
              sector: slots[i].sector, count: slots[i].sectors, from: $0.baseAddress!, accounting: &accounting
            )
          }
        }
      }
      try tapdisks[vdi].chain.close()
      let old = tapdisks[vdi].leafPath
      let leaf = VHDPath.join(VHDPath.directory(old), "vdi\(vdi)-leaf\(k + 1).vhd")
      var g = ChainSpec.Generator(state: SplitMix64.mix(seed ^ (UInt64(k + 1) &* 0x534E_4150)))
      try VHDSnapshot.create(
        childPath: leaf, parentPath: old, storage: storage, options: .init(skipEmptyParents: false),
        stamp: CreationStamp(unixTime: 1_700_000_000 + Int64(k + 1), uuid: .random(using: &g)), engine: engine
      )
      tapdisks[vdi].leafPath = leaf
      snapshots[k].imagePath = old
      snapshots[k].leafPath = leaf
      snapshots[k].takenAt = sim.now
      try reopenChain(vdi, closeFirst: false, sim: &sim)
      awaitingResume[vdi] = k
      if !late.isEmpty {
        let chain = tapdisks[vdi].chain
        for i in late {
          let need = slots[i].sectors * 512
          if need > buffer.bytes { buffer = EngineBuffer(bytes: need) }
          SectorTag.fill(
            buffer.pointer, write: slots[i].logIndex, lba: slots[i].sector, sectors: slots[i].sectors)
          tap.begin(levels: tapdisks[vdi].levelVolumes)
          try chain.write(
            sector: slots[i].sector, count: slots[i].sectors, from: buffer.pointer, accounting: &accounting)
        }
      }
    } catch {
      fail(error, sim: &sim)
    }
  }
}

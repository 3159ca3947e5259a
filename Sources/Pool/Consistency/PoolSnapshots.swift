// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// What a snapshot scheduled for the consistency check (`PoolSimulation.scheduleSnapshot`) records
/// around the SR snapshot: the write cut and the writes in flight at the pause, the snapshot VDI's
/// path, and — for the deliberately broken snapshot that does not drain — the writes in flight undone
/// before the snapshot and replayed onto the new leaf after it.
enum PoolSnapshots {
  /// The tapdisk stops taking requests for snapshot `j` of VDI `vdi`: the cut is every write it had
  /// taken (completed, or in flight and so drained before the snapshot).
  static func paused(_ j: Int, vdi: Int, _ pool: inout PoolModel, at now: SimTime) {
    pool.journal.snapshots[j].pausedAt = now
    pool.journal.snapshots[j].cut = pool.journal.writeLogs[vdi].count
    pool.journal.snapshots[j].inFlightWrites = inFlightSlots(of: vdi, pool).map {
      pool.requests.slots[$0].logIndex
    }.sorted()
  }

  /// Slots of VDI `vdi`'s logged writes that are in the engine now, in log order.
  static func inFlightSlots(of vdi: Int, _ pool: PoolModel) -> [Int] {
    pool.requests.slots.indices.filter { i in
      let s = pool.requests.slots[i]
      return s.kind == .guest && s.inEngine && Int(s.vdi) == vdi && s.logIndex >= 0
    }.sorted { pool.requests.slots[$0].logIndex < pool.requests.slots[$1].logIndex }
  }

  /// Broken mode, before the snapshot: the writes in flight have not reached the old leaf yet — undo
  /// them, newest first. Returns their slots for `replay`.
  static func undoInFlight(vdi: Int, _ pool: inout PoolModel) throws -> [Int] {
    let late = inFlightSlots(of: vdi, pool)
    let chain = pool.tapdisks[vdi].chain
    for i in late.reversed() {
      let slot = pool.requests.slots[i]
      try slot.preimage.withUnsafeBytes {
        try pool.engine.write(
          chain, volumes: pool.tapdisks[vdi].levelVolumes, sector: slot.sector, count: slot.sectors,
          from: $0.baseAddress!)
      }
    }
    return late
  }

  /// Broken mode, after the snapshot: the undone writes land in the new leaf.
  static func replay(_ late: [Int], vdi: Int, _ pool: inout PoolModel) throws {
    let chain = pool.tapdisks[vdi].chain
    for i in late {
      let slot = pool.requests.slots[i]
      let data = pool.engine.buffer(bytes: slot.sectors * 512)
      SectorTag.fill(data.pointer, write: slot.logIndex, lba: slot.sector, sectors: slot.sectors)
      try pool.engine.write(
        chain, volumes: pool.tapdisks[vdi].levelVolumes, sector: slot.sector, count: slot.sectors,
        from: data.pointer)
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// blktap snapshots of a running pool without an SR (`PoolSimulation.scheduleSnapshot`): pause (drain),
/// `VHDSnapshot.create` on the leaf, reopen on the new chain, run again — with the write cut and the
/// writes in flight recorded for the consistency oracle.
enum PoolSnapshots {
  /// Pauses the VDI for snapshot `k`, or retries shortly when the tapdisk is busy with another pause.
  static func begin(_ k: Int, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let vdi = pool.journal.snapshots[k].vdi
    guard pool.tapdisks[vdi].isIdle else {
      sim.schedule(.snapshot(index: Int32(k)), after: .microseconds(100))
      return
    }
    let now = sim.now
    pool.journal.snapshots[k].pausedAt = now
    pool.journal.snapshots[k].cut = pool.journal.writeLogs[vdi].count
    pool.journal.snapshots[k].inFlightWrites = inFlightWrites(of: vdi, pool).sorted()
    pool.markHeld(vdi, at: now)
    if pool.journal.snapshots[k].skipDrain {
      pool.tapdisks[vdi].pauseWithoutDraining()
      take(k, &pool, &sim)
      return
    }
    if pool.tapdisks[vdi].requestPause(for: .snapshot(k)) == .paused { take(k, &pool, &sim) }
  }

  /// Slots of VDI `vdi`'s logged writes that are in the engine now.
  private static func inFlightSlots(of vdi: Int, _ pool: PoolModel) -> [Int] {
    pool.requests.slots.indices.filter { i in
      let s = pool.requests.slots[i]
      return s.kind == .guest && s.inEngine && Int(s.vdi) == vdi && s.logIndex >= 0
    }
  }

  private static func inFlightWrites(of vdi: Int, _ pool: PoolModel) -> [Int] {
    inFlightSlots(of: vdi, pool).map { pool.requests.slots[$0].logIndex }
  }

  /// The snapshot itself, on a paused tapdisk: close the chain, `VHDSnapshot.create` a child of the
  /// leaf (the leaf becomes the snapshot), reopen on the new leaf (metadata read through the disk),
  /// and run again when that read completes.
  static func take(_ k: Int, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let vdi = pool.journal.snapshots[k].vdi
    do {
      // Broken mode: the writes in flight have not reached the old leaf yet (undo them, newest
      // first), and land in the new leaf after the snapshot.
      var late: [Int] = []
      if pool.journal.snapshots[k].skipDrain {
        late = inFlightSlots(of: vdi, pool)
        late.sort { pool.requests.slots[$0].logIndex < pool.requests.slots[$1].logIndex }
        let chain = pool.tapdisks[vdi].chain
        for i in late.reversed() {
          let slot = pool.requests.slots[i]
          try slot.preimage.withUnsafeBytes {
            try pool.engine.write(
              chain, volumes: pool.tapdisks[vdi].levelVolumes, sector: slot.sector, count: slot.sectors,
              from: $0.baseAddress!)
          }
        }
      }
      try pool.tapdisks[vdi].chain.close()
      let old = pool.tapdisks[vdi].leafPath
      let leaf = VHDPath.join(VHDPath.directory(old), "vdi\(vdi)-leaf\(k + 1).vhd")
      var g = ChainSpec.Generator(state: SplitMix64.mix(pool.journal.seed ^ (UInt64(k + 1) &* 0x534E_4150)))
      try VHDSnapshot.create(
        childPath: leaf, parentPath: old, storage: pool.storage, options: .init(skipEmptyParents: false),
        stamp: CreationStamp(unixTime: SimulatedWallClock.start + Int64(k + 1), uuid: .random(using: &g)),
        engine: pool.engine.options)
      pool.tapdisks[vdi].leafPath = leaf
      pool.journal.snapshots[k].imagePath = old
      pool.journal.snapshots[k].leafPath = leaf
      pool.journal.snapshots[k].takenAt = sim.now
      try pool.reopenChain(vdi, closeFirst: false, for: .snapshot(k), sim: &sim)
      let chain = pool.tapdisks[vdi].chain
      for i in late {
        let slot = pool.requests.slots[i]
        let data = pool.engine.buffer(bytes: slot.sectors * 512)
        SectorTag.fill(data.pointer, write: slot.logIndex, lba: slot.sector, sectors: slot.sectors)
        try pool.engine.write(
          chain, volumes: pool.tapdisks[vdi].levelVolumes, sector: slot.sector, count: slot.sectors,
          from: data.pointer)
      }
    } catch {
      pool.fail(error, sim: &sim)
    }
  }
}

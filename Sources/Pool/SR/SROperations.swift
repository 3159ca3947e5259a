// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD

/// Scheduled SR operations in simulated time: snapshot (pause, `SR.snapshot`, reopen), delete (which
/// kicks the GC), scan, and backup schedules that snapshot and retire the oldest snapshots.
enum SROperations {
  static func begin(_ k: Int, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    // Every SM operation runs under the SR lock: queue behind its holder (docs/storage-manager.md#sr-lock).
    guard host.lock.acquire(.srOperation(k)) else { return }
    host.sr.stamps.unixTime = SimulatedWallClock.unixTime(at: sim.now)
    switch host.operations[k].kind {
    case .snapshot(let vdi, _):
      // Lock held; the tapdisk may still be finishing an earlier pause (its reopen): wait for it.
      guard pool.tapdisks[vdi].isIdle else {
        sim.schedule(.srOperation(index: Int32(k)), after: .milliseconds(1))
        return
      }
      if let j = host.operations[k].journalSnapshot {
        PoolSnapshots.paused(j, vdi: vdi, &pool, at: sim.now)
        if pool.journal.snapshots[j].skipDrain {
          host.pauseStarted[vdi] = sim.now
          pool.markHeld(vdi, at: sim.now)
          pool.tapdisks[vdi].pauseWithoutDraining()
          snapshotPaused(k, vdi: vdi, &pool, &sim)
          return
        }
      }
      _ = pool.requestPause(vdi, for: .srOperation(k), sim: &sim)
    case .delete(let uuid):
      deleteVDIs([uuid], operation: k, &pool, &sim)
    case .deleteSnapshots(let of):
      let uuids =
        host.operations[k].pendingDeletes
        ?? of.compactMap { host.operations.indices.contains($0) ? host.operations[$0].snapshotUUID : nil }
      deleteVDIs(uuids, operation: k, &pool, &sim)
    case .scan:
      host.operations[k].performedAt = sim.now
      do { try host.sr.scan() } catch { host.operations[k].error = "\(error)" }
      pool.releaseSRLock(.srOperation(k), sim: &sim)
      host.daemon.kick(&pool, &sim)
    }
  }

  /// The drained tapdisk of snapshot operation `k`: close the chain, `SR.snapshot`, place the renamed
  /// and new nodes, reopen.
  static func snapshotPaused(_ k: Int, vdi: Int, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    guard case .snapshot(_, let kind) = host.operations[k].kind,
      let uuid = host.uuidOfTapdisk[vdi]
    else {
      pool.releaseSRLock(.srOperation(k), sim: &sim)
      return
    }
    host.operations[k].pausedAt = host.pauseStarted[vdi] ?? sim.now
    host.operations[k].performedAt = sim.now
    let journal = host.operations[k].journalSnapshot
    do {
      let late =
        journal.map { pool.journal.snapshots[$0].skipDrain } == true
        ? try PoolSnapshots.undoInFlight(vdi: vdi, &pool) : []
      try pool.tapdisks[vdi].chain.close()
      let path = try host.sr.record(uuid).path
      // The nodes a snapshot makes or moves (nil after a failure: sync the whole folder).
      var touched: [String]?
      do {
        let made = try host.sr.snapshot(uuid, kind: kind)
        if let base = made.baseCopy { pool.renameVolume(path, to: base.path) }
        host.operations[k].snapshotUUID = made.snapshot?.uuid
        host.operations[k].baseCopyUUID = made.baseCopy?.uuid
        touched = [path] + [made.baseCopy?.path, made.snapshot?.path].compactMap { $0 }
      } catch {
        host.operations[k].error = "\(error)"
        host.result.operationErrors.append("snapshot of \(uuid): \(error)")
      }
      if let touched { try pool.syncPlacement(paths: touched) } else { try pool.syncPlacement() }
      try pool.reopenChain(vdi, closeFirst: false, for: .srOperation(k), sim: &sim)
      if let j = journal {
        pool.journal.snapshots[j].takenAt = sim.now
        pool.journal.snapshots[j].imagePath = host.operations[k].snapshotUUID.map { host.sr.path(of: $0) }
        pool.journal.snapshots[j].leafPath = pool.tapdisks[vdi].leafPath
        try PoolSnapshots.replay(late, vdi: vdi, &pool)
      }
      try host.recordState(at: sim.now)
    } catch {
      pool.fail(error, sim: &sim)
      return
    }
    if let b = host.operations[k].backup, let made = host.operations[k].snapshotUUID {
      retire(backup: b, vdi: vdi, snapshot: made, &pool, &sim)
    }
  }

  /// Deletes VDIs (leaves) for operation `k`, then kicks the GC once.
  static func deleteVDIs(
    _ uuids: [String], operation k: Int, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>
  ) {
    let host = pool.host
    host.operations[k].performedAt = sim.now
    for uuid in uuids {
      do {
        try host.sr.delete(uuid)
        host.operations[k].deleted.append(uuid)
      } catch {
        let text = "delete of \(uuid): \(error)"
        host.operations[k].error = host.operations[k].error.map { $0 + "; " + text } ?? text
        host.result.operationErrors.append(text)
      }
    }
    do {
      try pool.syncPlacement(paths: uuids.map { host.sr.path(of: $0) })
      try host.recordState(at: sim.now)
    } catch {
      pool.fail(error, sim: &sim)
      return
    }
    pool.releaseSRLock(.srOperation(k), sim: &sim)
    host.daemon.kick(&pool, &sim)
  }

  /// A backup schedule's period: snapshot every VDI of it (each may then retire an old snapshot).
  static func runBackup(_ b: Int, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    let schedule = host.backups[b]
    for vdi in schedule.vdis {
      let k = host.operations.count
      var record = SROperationRecord(index: k, kind: .snapshot(vdi: vdi, kind: .double), requestedAt: sim.now)
      record.backup = b
      host.operations.append(record)
      begin(k, &pool, &sim)
    }
    if sim.now + schedule.period <= schedule.until {
      sim.schedule(.backup(schedule: Int32(b)), after: schedule.period)
    }
  }

  /// A backup snapshot was taken: keep it, delete the oldest beyond `keep`.
  static func retire(
    backup b: Int, vdi: Int, snapshot: String, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>
  ) {
    let host = pool.host
    guard let slot = host.backups[b].vdis.firstIndex(of: vdi) else { return }
    host.backups[b].kept[slot].append(snapshot)
    var old: [String] = []
    while host.backups[b].kept[slot].count > host.backups[b].keep {
      old.append(host.backups[b].kept[slot].removeFirst())
    }
    guard !old.isEmpty else { return }
    let k = host.operations.count
    var record = SROperationRecord(index: k, kind: .deleteSnapshots(of: []), requestedAt: sim.now)
    record.backup = b
    record.pendingDeletes = old
    host.operations.append(record)
    begin(k, &pool, &sim)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD

/// A pool over a storage repository: VDIs are the SR's, attached through `SR.attach`; snapshots,
/// deletes and scans are SR operations scheduled in simulated time; a GC daemon coalesces the
/// chains they leave, its I/O queued on the same disk as the guests'.
extension PoolSimulation {
  /// Starts an SMlog-style log of the GC (docs/storage-manager.md#smlog-format): tree dumps after every GC scan, candidates, "No work,
  /// exiting", tracker summaries, each line stamped with the simulated time.
  public func enableSMLog(pid: Int = 1, sink: (any TextOutputStream)? = nil) throws -> SMLog {
    let log = SMLog(pid: pid, sink: sink)
    model.host.smlog = log
    return log
  }

  /// The SR the pool runs over.
  public var sr: SR { model.host.sr }

  /// Attaches VDI `uuid` of the pool's SR writable (`SR.attach`: an LVM leaf is inflated) and starts
  /// its tapdisk on the record's path. Returns the VDI's (tapdisk's) index.
  public func attach(vdi uuid: String, maxOutstanding: Int = 64) throws -> Int {
    let host = model.host
    guard host.tapdiskOfUUID[uuid] == nil else { throw PoolError("VDI \(uuid) is already attached") }
    let record = try host.sr.record(uuid)
    try host.sr.attach(uuid, writable: true)
    try model.syncPlacement()
    let vdi = try startTapdisk(leafPath: record.path, maxOutstanding: maxOutstanding)
    host.uuidOfTapdisk.append(contentsOf: repeatElement(nil, count: vdi + 1 - host.uuidOfTapdisk.count))
    host.uuidOfTapdisk[vdi] = uuid
    host.tapdiskOfUUID[uuid] = vdi
    if host.resultIndex[uuid] == nil { host.resultIndex[uuid] = host.result.pauses.count }
    host.result.pauses.append(PauseStats(vdi: uuid))
    host.result.series.depth.append(DepthSeries(vdi: uuid, samples: []))
    host.lastDepth[uuid] = nil
    try host.recordState(at: sim.now)
    return vdi
  }

  /// The SR uuid of an attached VDI.
  public func uuid(ofVDI vdi: Int) -> String? {
    let host = model.host
    guard host.uuidOfTapdisk.indices.contains(vdi) else { return nil }
    return host.uuidOfTapdisk[vdi]
  }

  /// Every scheduled SR operation with what happened to it, in scheduling order.
  public var srOperations: [SROperationRecord] { model.host.operations }

  /// Whether a GC process is alive now (between the kick that started it and its exit).
  public var gcAlive: Bool { model.host.daemon.alive }

  /// GC operations running now.
  public var gcOperationsRunning: Int { model.host.daemon.activeWorkers.count }

  /// What the SR and its GC did so far.
  public var gcResult: GCResult { model.host.finalResult(at: sim.now) }

  /// Snapshots attached VDI `vdi` at `time`: pause (drain), `SR.snapshot(kind)`, reopen on the new
  /// chain, unpause. Returns the operation's index in `srOperations`.
  @discardableResult
  public func scheduleSRSnapshot(vdi: Int, at time: SimTime, kind: SnapshotKind = .double) throws -> Int {
    guard model.tapdisks.indices.contains(vdi), uuid(ofVDI: vdi) != nil else {
      throw PoolError("VDI \(vdi) is not an attached SR VDI")
    }
    return try scheduleSR(.snapshot(vdi: vdi, kind: kind), at: time)
  }

  /// Deletes VDI `uuid` at `time` (`SR.delete`), which kicks the GC.
  @discardableResult
  public func scheduleSRDelete(uuid: String, at time: SimTime) throws -> Int {
    try scheduleSR(.delete(uuid: uuid), at: time)
  }

  /// Deletes, at `time`, the snapshots the snapshot operations `operations` made; one GC kick.
  @discardableResult
  public func scheduleSRDelete(snapshotsOf operations: [Int], at time: SimTime) throws -> Int {
    try scheduleSR(.deleteSnapshots(of: operations), at: time)
  }

  /// `sr_scan` at `time`, which kicks the GC.
  @discardableResult
  public func scheduleSRScan(at time: SimTime) throws -> Int { try scheduleSR(.scan, at: time) }

  /// The thread's script: `count` double snapshots of `vdi`, the first at `start` and then every
  /// `every`, and at `deleteAllAt` one delete of all of them. Returns the snapshot operations.
  @discardableResult
  public func scheduleSnapshotScript(
    vdi: Int, count: Int, every: SimTime, start: SimTime, deleteAllAt: SimTime
  ) throws -> [Int] {
    guard count >= 1, every > .zero else {
      throw PoolError("snapshot script needs count ≥ 1 and a positive period")
    }
    var ops: [Int] = []
    for k in 0..<count { ops.append(try scheduleSRSnapshot(vdi: vdi, at: start + every * k)) }
    guard deleteAllAt >= start + every * (count - 1) else {
      throw PoolError("snapshot script deletes at \(deleteAllAt) before its last snapshot")
    }
    try scheduleSRDelete(snapshotsOf: ops, at: deleteAllAt)
    return ops
  }

  /// A backup schedule: from `first`, every `period` until `until`, snapshot each of `vdis` and keep
  /// the `keep` newest snapshots of each, deleting the oldest (each delete kicks the GC).
  public func scheduleBackups(vdis: [Int], every period: SimTime, keep: Int, first: SimTime, until: SimTime)
    throws
  {
    let host = model.host
    guard period > .zero, keep >= 1 else {
      throw PoolError("backup schedule needs a positive period and keep ≥ 1")
    }
    for v in vdis where uuid(ofVDI: v) == nil { throw PoolError("backup VDI \(v) is not an attached SR VDI") }
    host.backups.append(
      BackupSchedule(vdis: vdis, period: period, keep: keep, until: until, kept: vdis.map { _ in [] }))
    sim.schedule(.backup(schedule: Int32(host.backups.count - 1)), at: first)
  }

  private func scheduleSR(_ kind: SROperationRecord.Kind, at time: SimTime) throws -> Int {
    let host = model.host
    guard time >= sim.now else { throw PoolError("SR operation at \(time) is in the past (now \(sim.now))") }
    let k = host.operations.count
    host.operations.append(SROperationRecord(index: k, kind: kind, requestedAt: time))
    sim.schedule(.srOperation(index: Int32(k)), at: time)
    return k
  }
}

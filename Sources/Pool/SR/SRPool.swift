// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD

/// A pool over a storage repository: VDIs are the SR's, attached through `SR.attach`; snapshots,
/// deletes and scans are SR operations scheduled in simulated time; a GC daemon coalesces the
/// chains they leave, its I/O queued on the same disk as the guests'.
extension PoolSimulation {
  /// Runs this pool over `sr`, which must live on the pool's `storage`. Every volume of the SR is
  /// placed on the device now (LVM: by the SR's LV sizes; file SR: by file length); attaching the
  /// SR kicks the GC at time zero when `gc.kickOnAttach`. Call before attaching VDIs.
  public func useSR(_ sr: SR, gc: GCSettings = GCSettings()) throws {
    guard model.host == nil else { throw PoolError("the pool already runs over an SR") }
    guard (sr.storage as AnyObject) === (model.storage as AnyObject) else {
      throw PoolError("SR \(sr.directory) is not on the pool's storage")
    }
    guard gc.maxCopyBytes >= 512 else {
      throw PoolError("GC maxCopyBytes \(gc.maxCopyBytes) is below one sector")
    }
    do { try gc.leafDesign.validate() } catch { throw PoolError("\(error)") }
    guard gc.operationOverhead >= .zero, gc.quietPeriod >= .zero else {
      throw PoolError("GC quiet period and operation overhead must not be negative")
    }
    let host = SRHost(sr: sr, settings: gc)
    host.uuidOfTapdisk = Array(repeating: nil, count: model.tapdisks.count)
    model.host = host
    try model.syncPlacement()
    try host.recordState(at: sim.now)
    if gc.kickOnAttach { sim.schedule(.gcWake(worker: GCWorker.attachKick, token: 0), at: sim.now) }
    if let interval = gc.autoScanInterval {
      guard interval > .zero else { throw PoolError("GC auto-scan interval must be positive") }
      sim.schedule(.autoScan, at: sim.now + interval)
    }
  }

  /// Starts an SMlog-style log of the GC (§6): tree dumps after every GC scan, candidates, "No work,
  /// exiting", tracker summaries, each line stamped with the simulated time. Call after `useSR`.
  public func enableSMLog(pid: Int = 1, sink: (any TextOutputStream)? = nil) throws -> SMLog {
    guard let host = model.host else { throw PoolError("enableSMLog needs useSR first") }
    let log = SMLog(pid: pid, sink: sink)
    host.smlog = log
    return log
  }

  /// The SR the pool runs over, if any.
  public var sr: SR? { model.host?.sr }

  /// Attaches VDI `uuid` of the pool's SR writable (`SR.attach`: an LVM leaf is inflated) and starts
  /// its tapdisk on the record's path. Returns the VDI's (tapdisk's) index.
  public func attach(vdi uuid: String, maxOutstanding: Int = 64) throws -> Int {
    guard let host = model.host else { throw PoolError("attach(vdi:) needs useSR first") }
    guard host.tapdiskOfUUID[uuid] == nil else { throw PoolError("VDI \(uuid) is already attached") }
    let record = try host.sr.record(uuid)
    try host.sr.attach(uuid, writable: true)
    try model.syncPlacement()
    let vdi = try attach(leafPath: record.path, maxOutstanding: maxOutstanding)
    host.uuidOfTapdisk.append(contentsOf: repeatElement(nil, count: vdi + 1 - host.uuidOfTapdisk.count))
    host.uuidOfTapdisk[vdi] = uuid
    host.tapdiskOfUUID[uuid] = vdi
    host.result.pauses.append(PauseStats(vdi: uuid))
    host.result.depth.append(DepthSeries(vdi: uuid, samples: []))
    host.lastDepth[uuid] = nil
    try host.recordState(at: sim.now)
    return vdi
  }

  /// The SR uuid of an attached VDI.
  public func uuid(ofVDI vdi: Int) -> String? {
    guard let host = model.host, host.uuidOfTapdisk.indices.contains(vdi) else { return nil }
    return host.uuidOfTapdisk[vdi]
  }

  /// Every scheduled SR operation with what happened to it, in scheduling order.
  public var srOperations: [SROperationRecord] { model.host?.operations ?? [] }

  /// Whether a GC process is alive now (between the kick that started it and its exit).
  public var gcAlive: Bool { model.host?.daemon.alive ?? false }

  /// GC operations running now.
  public var gcOperationsRunning: Int { model.host?.activeWorkers.count ?? 0 }

  /// What the SR and its GC did so far (nil for a pool without an SR).
  public var gcResult: GCResult? { model.host?.finalResult(at: sim.now) }

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
    guard let host = model.host else { throw PoolError("backups need useSR first") }
    guard period > .zero, keep >= 1 else {
      throw PoolError("backup schedule needs a positive period and keep ≥ 1")
    }
    for v in vdis where uuid(ofVDI: v) == nil { throw PoolError("backup VDI \(v) is not an attached SR VDI") }
    host.backups.append(
      BackupSchedule(vdis: vdis, period: period, keep: keep, until: until, kept: vdis.map { _ in [] }))
    sim.schedule(.backup(schedule: Int32(host.backups.count - 1)), at: first)
  }

  private func scheduleSR(_ kind: SROperationRecord.Kind, at time: SimTime) throws -> Int {
    guard let host = model.host else { throw PoolError("SR operations need useSR first") }
    guard time >= sim.now else { throw PoolError("SR operation at \(time) is in the past (now \(sim.now))") }
    let k = host.operations.count
    host.operations.append(SROperationRecord(index: k, kind: kind, requestedAt: time))
    sim.schedule(.srOperation(index: Int32(k)), at: time)
    return k
  }
}

extension PoolModel {
  // MARK: placement follows the SR

  /// Brings the SR placement in line with the SR's folder: volumes of removed nodes are freed; a new
  /// node gets a volume (file SR: extents for its current length; LVM: its LV size); LVM volumes are
  /// resized to the SR's LV sizes (inflate, deflate). Renames are applied before, by whoever did them.
  mutating func syncPlacement() throws {
    guard let host else { return }
    let sr = host.sr
    let dir = sr.directory
    let names = try storage.list(directory: dir).sorted()
    var present = Set<String>()
    for name in names where sr.kind.uuid(ofNodeName: name) != nil { present.insert(VHDPath.join(dir, name)) }
    let prefix = dir.hasSuffix("/") ? dir : dir + "/"
    for (name, _) in tap.placement.volumeNames where name.hasPrefix(prefix) && !present.contains(name) {
      tap.state.pointee.placement.remove(name)
      host.placedSizes[name] = nil
    }
    for path in present.sorted() { try place(path) }
  }

  /// `syncPlacement` for the nodes at `paths` only: what a copy step touched (its levels), which
  /// can grow or shrink but not appear, vanish or be renamed. Keeps a GC step's cost independent of
  /// how many nodes the SR holds.
  mutating func syncPlacement(paths: [String]) throws {
    guard let host else { return }
    for path in paths {
      if storage.exists(path) {
        try place(path)
      } else if tap.placement.volume(named: path) != nil {
        tap.state.pointee.placement.remove(path)
        host.placedSizes[path] = nil
      }
    }
  }

  /// Gives the node at `path` its volume at its current size (file SR: its length; LVM: its LV).
  private mutating func place(_ path: String) throws {
    guard let host else { return }
    let sr = host.sr
    let uuid = sr.kind.uuid(ofNodeName: VHDPath.basename(path)) ?? ""
    // An LV's size is the SR's to say; only a file SR (or an LV the SR has no size for) asks the file.
    let size: UInt64
    if case .lvm = sr.kind, let lv = sr.lvSizes[uuid] {
      size = lv
    } else {
      size = try storage.open(path, writable: false).length
    }
    // Placing a volume walks its extents: skip the ones whose size did not change since.
    if host.placedSizes[path] == size, tap.placement.volume(named: path) != nil { return }
    host.placedSizes[path] = size
    let v = try tap.state.pointee.placement.attach(path, size: size)
    switch sr.kind {
    case .file: try tap.state.pointee.placement.reserve(volume: v, upTo: size)
    case .lvm: try tap.state.pointee.placement.resize(volume: v, to: Swift.max(size, 1))
    }
  }

  /// The SR renamed a node: its volume (its data on the device) follows the new name.
  mutating func renameVolume(_ from: String, to: String) {
    tap.state.pointee.placement.rename(from, to: to)
    host?.placedSizes[from] = nil
    host?.placedSizes[to] = nil
  }

  // MARK: pauses on behalf of the SR layer

  /// Pauses tapdisk `vdi` for `client` (drain, then `paused`); false when the tapdisk is busy with
  /// another pause, snapshot or reopen (the caller retries shortly).
  mutating func requestPause(_ vdi: Int, for client: PauseClient, sim: inout Simulator<PoolEvent>) -> Bool {
    guard tapdisks[vdi].state == .running, pendingSnapshot[vdi] == nil, awaitingResume[vdi] == nil,
      pauseClients[vdi] == nil, resumeClients[vdi] == nil, pendingUnpause[vdi] == nil
    else { return false }
    host?.pauseStarted[vdi] = sim.now
    pause(vdi, sim: &sim)
    if tapdisks[vdi].state == .paused {
      paused(vdi, for: client, sim: &sim)
    } else {
      pauseClients[vdi] = client
    }
    return true
  }

  /// Reopens paused tapdisk `vdi` on its leaf path (the chain may have changed; `closeFirst` when
  /// the caller has not closed it yet) and reports `resumed` to `client` once the metadata read is done.
  mutating func resume(_ vdi: Int, closeFirst: Bool, for client: PauseClient, sim: inout Simulator<PoolEvent>)
    throws
  {
    resumeClients[vdi] = client
    try reopenChain(vdi, closeFirst: closeFirst, sim: &sim)
  }

  mutating func paused(_ vdi: Int, for client: PauseClient, sim: inout Simulator<PoolEvent>) {
    switch client {
    case .srOperation(let k): snapshotPaused(k, vdi: vdi, sim: &sim)
    case .gcWorker(let w): workerPaused(w, vdi: vdi, sim: &sim)
    }
  }

  mutating func resumed(_ vdi: Int, for client: PauseClient, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    let length = host.pauseStarted.removeValue(forKey: vdi).map { sim.now - $0 } ?? .zero
    host.recordPause(vdi: vdi, length: length)
    switch client {
    case .srOperation(let k):
      host.operations[k].resumedAt = sim.now
    case .gcWorker(let w):
      workerResumed(w, vdi: vdi, pause: length, sim: &sim)
    }
  }

  // MARK: scheduled SR operations

  mutating func beginSROperation(_ k: Int, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    host.sr.stamps.unixTime = 1_700_000_000 + sim.now.nanoseconds / 1_000_000_000
    switch host.operations[k].kind {
    case .snapshot(let vdi, _):
      // The leaf coalesce of this VDI holds the SR lock (§3.3): wait for it.
      if host.activeWorkers.contains(where: { $0.holdsVDI == vdi })
        || !requestPause(vdi, for: .srOperation(k), sim: &sim)
      {
        sim.schedule(.srOperation(index: Int32(k)), after: .milliseconds(1))
        return
      }
    case .delete(let uuid):
      deleteVDIs([uuid], operation: k, sim: &sim)
    case .deleteSnapshots(let of):
      let uuids = of.compactMap {
        host.operations.indices.contains($0) ? host.operations[$0].snapshotUUID : nil
      }
      deleteVDIs(uuids, operation: k, sim: &sim)
    case .scan:
      host.operations[k].performedAt = sim.now
      do { try host.sr.scan() } catch { host.operations[k].error = "\(error)" }
      kickGC(sim: &sim)
    }
  }

  /// The drained tapdisk of snapshot operation `k`: close the chain, `SR.snapshot`, place the renamed
  /// and new nodes, reopen.
  mutating func snapshotPaused(_ k: Int, vdi: Int, sim: inout Simulator<PoolEvent>) {
    guard let host, case .snapshot(_, let kind) = host.operations[k].kind, let uuid = host.uuidOfTapdisk[vdi]
    else { return }
    host.operations[k].pausedAt = host.pauseStarted[vdi] ?? sim.now
    host.operations[k].performedAt = sim.now
    do {
      try tapdisks[vdi].chain.close()
      let path = try host.sr.record(uuid).path
      // The nodes a snapshot makes or moves (nil after a failure: sync the whole folder).
      var touched: [String]?
      do {
        let made = try host.sr.snapshot(uuid, kind: kind)
        if let base = made.baseCopy { renameVolume(path, to: base.path) }
        host.operations[k].snapshotUUID = made.snapshot?.uuid
        host.operations[k].baseCopyUUID = made.baseCopy?.uuid
        touched = [path] + [made.baseCopy?.path, made.snapshot?.path].compactMap { $0 }
      } catch {
        host.operations[k].error = "\(error)"
        host.result.operationErrors.append("snapshot of \(uuid): \(error)")
      }
      if let touched { try syncPlacement(paths: touched) } else { try syncPlacement() }
      try resume(vdi, closeFirst: false, for: .srOperation(k), sim: &sim)
      try host.recordState(at: sim.now)
    } catch {
      fail(error, sim: &sim)
      return
    }
    if let b = host.operations[k].backup, let made = host.operations[k].snapshotUUID {
      retire(backup: b, vdi: vdi, snapshot: made, sim: &sim)
    }
  }

  /// Deletes VDIs (leaves) for operation `k`, then kicks the GC once.
  mutating func deleteVDIs(_ uuids: [String], operation k: Int, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
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
      try syncPlacement(paths: uuids.map { host.sr.path(of: $0) })
      try host.recordState(at: sim.now)
    } catch {
      fail(error, sim: &sim)
      return
    }
    kickGC(sim: &sim)
  }

  // MARK: backups

  mutating func runBackup(_ b: Int, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    let schedule = host.backups[b]
    for vdi in schedule.vdis {
      let k = host.operations.count
      var record = SROperationRecord(index: k, kind: .snapshot(vdi: vdi, kind: .double), requestedAt: sim.now)
      record.backup = b
      host.operations.append(record)
      beginSROperation(k, sim: &sim)
    }
    if sim.now + schedule.period <= schedule.until {
      sim.schedule(.backup(schedule: Int32(b)), after: schedule.period)
    }
  }

  /// A backup snapshot was taken: keep it, delete the oldest beyond `keep`.
  mutating func retire(backup b: Int, vdi: Int, snapshot: String, sim: inout Simulator<PoolEvent>) {
    guard let host, let slot = host.backups[b].vdis.firstIndex(of: vdi) else { return }
    host.backups[b].kept[slot].append(snapshot)
    var old: [String] = []
    while host.backups[b].kept[slot].count > host.backups[b].keep {
      old.append(host.backups[b].kept[slot].removeFirst())
    }
    guard !old.isEmpty else { return }
    let k = host.operations.count
    var record = SROperationRecord(index: k, kind: .deleteSnapshots(of: []), requestedAt: sim.now)
    record.backup = b
    host.operations.append(record)
    deleteVDIs(old, operation: k, sim: &sim)
  }
}

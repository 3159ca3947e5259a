// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD

/// The GC daemon of one SR (docs/storage-manager.md#gc-daemon): kicked by deletes, scans and the
/// SR attach; a kick while a GC process is alive does nothing (the process rescans after every
/// operation anyway). A process optionally sleeps through a quiet period once its first scan finds
/// work, then loops: rescan, delete all garbage, start one non-leaf coalesce (GCPlan order, space
/// check), else one leaf coalesce as the design says, and exits when nothing is left. With per-tree
/// concurrency it starts one operation per VHD tree that has none running.
///
/// Its operations are ``GCWorker``s; their I/O reaches the disk through `submitStep` as GC requests.
final class GCDaemon {
  let settings: GCSettings
  /// A GC process exists (from the kick that started it to its exit).
  private(set) var alive = false
  /// Sleeping through the quiet period (work is not started until it ends).
  private(set) var quiet = false
  private var quietTimer = SimTimer()
  /// A GC run has happened since boot (sm's `gc_init` marker exists).
  private var booted = false
  /// `_failedCoalesceTargets` of the current process: cleared by the next kick after it exits.
  private(set) var failed: Set<String> = []
  private(set) var workers: [GCWorker?] = []
  /// The SR's speed log (docs/storage-manager.md#speed-log): one sample per coalesce run.
  var speedLog = CoalesceSpeedLog()
  /// The step machines' I/O, collected per step and placed afterwards.
  let recorder = GCStepRecorder()
  /// The volume of each level of the step being placed (-1: not looked up yet); kept for its capacity.
  private var levelVolumes: [Int] = []
  /// GC requests on the disk now.
  private var requestsInFlight = 0
  /// The last whole-SR scan's reads, reused while the tree and the layout stay the same.
  private(set) var metadataReads = MetadataReadCache()
  /// Time integration of "some GC operation runs" and of "a GC process is alive".
  private(set) var busySince: SimTime?
  private(set) var activeSince: SimTime?

  init(settings: GCSettings) { self.settings = settings }

  /// Leaf-coalesce design of this SR's GC.
  var design: LeafCoalesceDesign { settings.leafDesign }

  /// Running workers (in id order).
  var activeWorkers: [GCWorker] { workers.compactMap { $0 } }

  /// A delete, scan or attach asks the GC to run.
  func kick(_ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    host.result.counts.kicks += 1
    guard settings.enabled else { return }
    guard !alive else {
      host.result.counts.kicksIgnored += 1
      return
    }
    alive = true
    // sm writes the `gc_init` marker at the end of every run, work or not: only the very first run
    // after boot finds none.
    let firstRun = !booted
    booted = true
    failed = []
    host.result.counts.runs += 1
    activeSince = sim.now
    host.smlog?.resetTreeState(srUUID: VHDPath.basename(host.sr.directory))
    // The first scan decides whether there is work at all, and so whether to sleep first.
    guard let plan = currentPlan(host, at: sim.now)?.plan, plan.hasWork else {
      host.smlog("No work, exiting", at: sim.now)
      exit(host, at: sim.now)
      return
    }
    if settings.quietPeriod > .zero && !(settings.firstRunAfterBoot && firstRun) {
      host.smlog("GC active, about to go quiet", at: sim.now)
      quiet = true
      quietTimer.arm(.gcQuietPeriodEnded, after: settings.quietPeriod, in: &sim)
    } else {
      loop(&pool, &sim)
    }
  }

  /// xapi's periodic scan: `sr_scan`, then a kick.
  func autoScan(_ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    host.result.counts.autoScans += 1
    do { try host.sr.scan() } catch { host.result.operationErrors.append("auto-scan: \(error)") }
    kick(&pool, &sim)
    if let interval = settings.autoScanInterval { sim.schedule(.autoScan, after: interval) }
  }

  func quietPeriodEnded(_ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    guard quiet else { return }
    let host = pool.host
    quiet = false
    host.smlog("GC active, quiet period ended", at: sim.now)
    loop(&pool, &sim)
  }

  /// A fresh scan and its plan with this process's failed targets, or nil (after recording the
  /// error) when the SR cannot be scanned.
  func currentPlan(_ host: SRHost, at now: SimTime) -> (tree: VHDTree, plan: GCPlan)? {
    do {
      let tree = try host.sr.scanTree()
      if let log = host.smlog {
        log.timestamp = SRHost.smlogTime(now)
        log.logTrees(
          srUUID: VHDPath.basename(host.sr.directory), name: VHDPath.basename(host.sr.directory), tree: tree,
          format: .init(host.sr.kind))
      }
      let relink = Set(try host.sr.journals.entries(.relink).keys)
      var policy = settings.policy
      if case .none = design { policy.leafCoalesce = false }
      return (tree, GCPlan(tree: tree, policy: policy, relinkProtected: relink, failed: failed))
    } catch {
      host.result.operationErrors.append("GC scan: \(error)")
      return nil
    }
  }

  /// One pass of `_gcLoop`: garbage, then as many operations as the concurrency allows; exit when no
  /// operation runs and none could be started.
  func loop(_ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    guard alive, !quiet else { return }
    do {
      try host.sr.journals.dropCoalesceMarkers(
        except: Set(activeWorkers.compactMap { $0.coalesce.op?.child }))
    } catch {
      host.result.operationErrors.append("GC loop: \(error)")
    }
    guard var (tree, plan) = currentPlan(host, at: sim.now) else {
      if activeWorkers.isEmpty { exit(host, at: sim.now) }
      return
    }
    do {
      let busyRoots = Set(activeWorkers.map(\.root))
      let garbage = plan.garbage.filter { !busyRoots.contains(tree.root(of: $0)) }
      if !garbage.isEmpty {
        for g in garbage { host.smlog("Deleting unlinked VDI \(g)", at: sim.now) }
        try host.sr.collectGarbage(garbage)
        host.result.counts.garbageCollected += garbage.count
        try pool.syncPlacement(paths: garbage.map { host.sr.path(of: $0) })
        try host.recordState(at: sim.now)
        guard let replanned = currentPlan(host, at: sim.now) else {
          if activeWorkers.isEmpty { exit(host, at: sim.now) }
          return
        }
        (tree, plan) = replanned
      }
      try startOperations(plan, in: tree, host, &pool, &sim)
    } catch {
      host.result.operationErrors.append("GC loop: \(error)")
    }
    if activeWorkers.isEmpty {
      host.smlog("No work, exiting", at: sim.now)
      exit(host, at: sim.now)
    }
  }

  /// Starts the next non-leaf coalesce (first fitting candidate in policy order), else the next leaf
  /// coalesce; per SR one at a time, per tree one per tree.
  private func startOperations(
    _ plan: GCPlan, in tree: VHDTree, _ host: SRHost, _ pool: inout PoolModel,
    _ sim: inout Simulator<PoolEvent>
  ) throws {
    let sr = host.sr
    var busyRoots = Set(activeWorkers.map(\.root))
    let perTree = settings.concurrency == .perTree
    if !perTree && !busyRoots.isEmpty { return }
    for child in plan.coalesceable where !busyRoots.contains(tree.root(of: child)) {
      let extra = try sr.space.coalesceExtraSpace(child: child, in: tree)
      let free = try sr.space.freeSpace()
      guard extra <= free else {
        host.smlog("No space to coalesce \(child) (free space: \(free))", at: sim.now)
        continue
      }
      host.smlog(
        "Coalesce candidate: \(child) (tree height \(tree.height(of: tree.root(of: child))))", at: sim.now)
      startWorker(.coalesce, target: child, root: tree.root(of: child), host, &pool, &sim)
      busyRoots.insert(tree.root(of: child))
      if !perTree { return }
    }
    for leaf in plan.leafCoalesceable where !busyRoots.contains(tree.root(of: leaf)) {
      guard try leafFits(leaf, in: tree, host, at: sim.now) else { continue }
      host.smlog("Leaf-coalesce candidate: \(leaf)", at: sim.now)
      startWorker(.leaf, target: leaf, root: tree.root(of: leaf), host, &pool, &sim)
      busyRoots.insert(tree.root(of: leaf))
      if !perTree { return }
    }
  }

  /// sm's space test for a leaf candidate (`findLeafCoalesceable`;
  /// docs/storage-manager.md#leaf-space-check): `sm` needs the snapshot-coalesce space unless the live
  /// test passes now, when the live leaf-coalesce space is enough; the designs without snapshot rounds
  /// need the live space. A leaf that does not fit is recorded as a no-space attempt and tested again
  /// on the next pass (sm's `no_space_candidates`), not remembered as failed.
  private func leafFits(_ leaf: String, in tree: VHDTree, _ host: SRHost, at now: SimTime) throws -> Bool {
    let space = host.sr.space
    let free = try space.freeSpace()
    let live = try space.leafCoalesceExtraSpace(leaf: leaf, in: tree)
    var needed = live
    if case .sm(let policy, _) = design, let node = tree.node(leaf) {
      let snapshot = try space.snapshotCoalesceExtraSpace(leaf: leaf, in: tree)
      if snapshot <= free || !policy.canLiveCoalesce(node, speed: speedLog.estimate) { needed = snapshot }
    }
    if needed <= free { return true }
    host.smlog("No space to leaf-coalesce \(leaf) (free space: \(free))", at: now)
    if live <= free { host.smlog("...but enough space if skip snap-coalesce", at: now) }
    host.result.leaf.attempts.append(
      LeafAttempt(
        vdi: leaf, design: design.name, started: now, ended: now, outcome: .noSpace,
        iterations: 0, passes: 0, bytesCopied: 0, pause: .zero, leafSizes: []))
    return false
  }

  /// Remembers a failed target for the rest of this GC process.
  func markFailed(_ uuid: String, _ host: SRHost) {
    if failed.insert(uuid).inserted { host.result.counts.failedTargets += 1 }
  }

  private func exit(_ host: SRHost, at now: SimTime) {
    guard alive else { return }
    alive = false
    quiet = false
    if let since = activeSince {
      host.result.activity.active += now - since
      activeSince = nil
    }
  }

  // MARK: workers

  private func startWorker(
    _ job: GCWorker.Job, target: String, root: String, _ host: SRHost, _ pool: inout PoolModel,
    _ sim: inout Simulator<PoolEvent>
  ) {
    let w = GCWorker(id: workers.count, job: job, target: target, root: root, started: sim.now)
    workers.append(w)
    workersChanged(host, at: sim.now)
    w.begin(self, &pool, &sim)
  }

  /// The worker is done: forget it, place what it left, record the state, and let the loop go on.
  func finish(_ w: GCWorker, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    workers[w.id] = nil
    w.timer.disarm(in: &sim)
    host.lock.withdraw(.gcWorker(w.id))
    pool.releaseSRLock(.gcWorker(w.id), sim: &sim)
    host.result.operations.append(
      GCOperation(
        kind: w.job == .coalesce ? .coalesce : .leaf, target: w.target, started: w.started, ended: sim.now))
    workersChanged(host, at: sim.now)
    do {
      // A coalesce's nodes were placed step by step; a leaf job renames and deletes: sync all.
      if w.job == .coalesce {
        try pool.syncPlacement(paths: [host.sr.path(of: w.target)])
      } else {
        try pool.syncPlacement()
      }
      try host.recordState(at: sim.now)
    } catch {
      pool.fail(error, sim: &sim)
      return
    }
    loop(&pool, &sim)
  }

  /// Notes the number of running GC operations changed (busy time, peak concurrency).
  private func workersChanged(_ host: SRHost, at now: SimTime) {
    let n = activeWorkers.count
    host.result.activity.maxConcurrentOperations = Swift.max(host.result.activity.maxConcurrentOperations, n)
    if n > 0, busySince == nil { busySince = now }
    if n == 0, let since = busySince {
      host.result.activity.busy += now - since
      busySince = nil
    }
  }

  private func worker(_ id: Int) -> GCWorker? { workers.indices.contains(id) ? workers[id] : nil }

  /// The tapdisk of the leaf worker `id` coalesces (nil for a non-leaf coalesce, a leaf no tapdisk
  /// serves, or a worker that has ended): what its events observe of guest I/O.
  func leafTapdisk(ofWorker id: Int) -> Int? { worker(id)?.leaf?.vdi }

  func timerExpired(worker id: Int, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    worker(id)?.timerExpired(self, &pool, &sim)
  }

  /// Worker `id` now holds the SR lock it queued for: it goes on from its own timer, at once.
  func lockGranted(worker id: Int, _ sim: inout Simulator<PoolEvent>) {
    worker(id)?.wait(.lockGranted, after: .zero, &sim)
  }

  func workerPaused(_ id: Int, vdi: Int, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    worker(id)?.paused(vdi: vdi, self, &pool, &sim)
  }

  func workerResumed(
    _ id: Int, vdi: Int, pause: SimTime, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>
  ) {
    worker(id)?.resumed(vdi: vdi, pause: pause, self, &pool, &sim)
  }

  // MARK: GC requests on the disk

  /// Runs one step of a step machine and sends its I/O to the disk as one GC request; `renames`
  /// are applied to the placement right after the step (the leaf swap), before its I/O is placed.
  func submitStep(
    _ w: GCWorker, leaf: Bool, renames: [(String, String)] = [], touching: [String]? = nil,
    _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>, _ step: () throws(SRError) -> GCStepWork
  ) throws {
    let host = pool.host
    recorder.reset()
    let work = try step()
    for (from, to) in renames { pool.renameVolume(from, to: to) }
    if leaf {
      host.result.bytesCopied.leaf += work.bytesCopied
    } else {
      host.result.bytesCopied.nonLeaf += work.bytesCopied
    }
    let s = pool.requests.allocate()
    pool.requests[s].kind = .gc
    pool.requests[s].vm = Int32(w.id)
    pool.requests[s].vdi = -1
    pool.requests[s].ops.removeAll(keepingCapacity: true)
    // A step's I/Os fall on its few levels: each level's volume is looked up by path once, not
    // once an I/O (a coalesce step records hundreds).
    levelVolumes.removeAll(keepingCapacity: true)
    levelVolumes.append(contentsOf: repeatElement(-1, count: work.levelPaths.count))
    for io in recorder.ios where io.length > 0 && io.level < work.levelPaths.count {
      var volume = levelVolumes[io.level]
      if volume < 0 {
        let name = work.levelPaths[io.level]
        if let v = pool.tap.volume(named: name) {
          volume = v
        } else {
          volume = try pool.tap.state.pointee.placement.attach(name, size: 0)
        }
        levelVolumes[io.level] = volume
      }
      try pool.tap.state.pointee.placement.translate(
        volume: volume, offset: io.offset, length: io.length, isWrite: io.direction == .write,
        into: &pool.requests[s].ops)
    }
    // A step that says which nodes it may touch (beyond its levels) syncs just those; otherwise it
    // may add, remove or rename any node, and the whole folder is synced.
    if let touching {
      try pool.syncPlacement(paths: work.levelPaths + touching)
    } else {
      try pool.syncPlacement()
    }
    try host.recordSpace(at: sim.now)
    requestsInFlight += 1
    w.requestInFlight = true
    host.result.activity.maxRequestsInFlight = Swift.max(
      host.result.activity.maxRequestsInFlight, requestsInFlight)
    pool.submit(s, sim: &sim)
  }

  /// Sends one GC request with `scans` scans' reads of `nodes` (each VHD's footer copy and header)
  /// and the check reads of `checked` (footer, header and BAT; `VHDMetadataReads`), through the
  /// placement like any GC I/O.
  func submitMetadataReads(
    _ w: GCWorker, scans: Int, of nodes: [VHDNode], checked: [VHDNode],
    _ pool: inout PoolModel,
    _ sim: inout Simulator<PoolEvent>
  ) throws {
    let s = pool.requests.allocate()
    pool.requests[s].kind = .gc
    pool.requests[s].vm = Int32(w.id)
    pool.requests[s].vdi = -1
    pool.requests[s].ops.removeAll(keepingCapacity: true)
    // Through the tap's pointer: `pool.tap.placement` would copy the placement.
    let placement = pool.tap.state
    for _ in 0..<scans {
      try metadataReads.appendScan(
        of: nodes, placement: &placement.pointee.placement, to: &pool.requests[s].ops)
    }
    try MetadataReadCache.append(
      checked, .check, placement: &placement.pointee.placement, to: &pool.requests[s].ops)
    requestsInFlight += 1
    w.requestInFlight = true
    pool.submit(s, sim: &sim)
  }

  /// A GC request finished on the disk: the worker takes its next step.
  func stepDone(worker id: Int, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    requestsInFlight -= 1
    worker(id)?.stepDone(self, &pool, &sim)
  }
}

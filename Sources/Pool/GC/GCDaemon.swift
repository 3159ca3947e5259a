// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD

/// The GC daemon of the pool's SR (§1.4, §8): kicked by deletes, scans and the SR attach; a kick
/// while a GC process is alive does nothing (the process rescans after every operation anyway). A
/// process optionally sleeps through a quiet period once its first scan finds work, then loops:
/// rescan, delete all garbage, start one non-leaf coalesce (GCPlan order, space check), else one
/// leaf coalesce as the design says, and exits when nothing is left. With per-tree concurrency it
/// starts one operation per VHD tree that has none running.
extension PoolModel {
  /// A delete, scan or attach asks the GC to run.
  mutating func kickGC(sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    host.result.kicks += 1
    guard host.settings.enabled else { return }
    guard !host.daemon.alive else {
      host.result.kicksIgnored += 1
      return
    }
    host.daemon.alive = true
    host.daemon.failed = []
    host.result.runs += 1
    host.activeSince = sim.now
    host.smlog?.resetTreeState(srUUID: VHDPath.basename(host.sr.directory))
    // The first scan decides whether there is work at all, and so whether to sleep first.
    guard let plan = currentPlan(sim: &sim)?.plan, plan.hasWork else {
      smlog("No work, exiting", at: sim.now)
      exitGC(sim: &sim)
      return
    }
    if host.settings.quietPeriod > .zero {
      smlog("GC active, about to go quiet", at: sim.now)
      host.daemon.quiet = true
      host.daemon.token &+= 1
      sim.schedule(
        .gcWake(worker: GCWorker.quietPeriod, token: Int32(truncatingIfNeeded: host.daemon.token)),
        after: host.settings.quietPeriod)
    } else {
      gcLoop(sim: &sim)
    }
  }

  /// xapi's periodic scan: `sr_scan`, then a kick.
  mutating func autoScan(sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    host.result.autoScans += 1
    do { try host.sr.scan() } catch { host.result.operationErrors.append("auto-scan: \(error)") }
    kickGC(sim: &sim)
    if let interval = host.settings.autoScanInterval { sim.schedule(.autoScan, after: interval) }
  }

  mutating func gcWake(_ worker: Int, token: Int, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    switch Int32(worker) {
    case GCWorker.attachKick:
      kickGC(sim: &sim)
    case GCWorker.quietPeriod:
      guard host.daemon.quiet, Int32(truncatingIfNeeded: host.daemon.token) == Int32(token) else { return }
      host.daemon.quiet = false
      smlog("GC active, quiet period ended", at: sim.now)
      gcLoop(sim: &sim)
    default:
      guard host.workers.indices.contains(worker), let w = host.workers[worker], w.token == Int32(token)
      else {
        return
      }
      workerWoke(w, sim: &sim)
    }
  }

  /// A fresh scan and its plan with this process's failed targets, or nil (after recording the
  /// error) when the SR cannot be scanned.
  mutating func currentPlan(sim: inout Simulator<PoolEvent>) -> (tree: VHDTree, plan: GCPlan)? {
    guard let host else { return nil }
    do {
      let tree = try host.sr.scanTree()
      if let log = host.smlog {
        log.timestamp = Self.smlogTime(sim.now)
        log.logTrees(
          srUUID: VHDPath.basename(host.sr.directory), name: VHDPath.basename(host.sr.directory), tree: tree,
          format: .init(host.sr.kind))
      }
      let relink = Set(try host.sr.journals(.relink).keys)
      var policy = host.settings.policy
      if case .none = host.design { policy.leafCoalesce = false }
      return (tree, GCPlan(tree: tree, policy: policy, relinkProtected: relink, failed: host.daemon.failed))
    } catch {
      host.result.operationErrors.append("GC scan: \(error)")
      return nil
    }
  }

  /// One pass of `_gcLoop`: garbage, then as many operations as the concurrency allows; exit when no
  /// operation runs and none could be started.
  mutating func gcLoop(sim: inout Simulator<PoolEvent>) {
    guard let host, host.daemon.alive, !host.daemon.quiet else { return }
    do {
      try host.sr.dropCoalesceMarkers(except: Set(host.activeWorkers.compactMap { $0.coalesce?.child }))
    } catch {
      host.result.operationErrors.append("GC loop: \(error)")
    }
    guard var (tree, plan) = currentPlan(sim: &sim) else {
      if host.activeWorkers.isEmpty { exitGC(sim: &sim) }
      return
    }
    do {
      let busyRoots = Set(host.activeWorkers.map(\.root))
      let garbage = plan.garbage.filter { !busyRoots.contains(tree.root(of: $0)) }
      if !garbage.isEmpty {
        for g in garbage { smlog("Deleting unlinked VDI \(g)", at: sim.now) }
        try host.sr.collectGarbage(garbage)
        host.result.garbageCollected += garbage.count
        try syncPlacement(paths: garbage.map { host.sr.path(of: $0) })
        try host.recordState(at: sim.now)
        guard let replanned = currentPlan(sim: &sim) else {
          if host.activeWorkers.isEmpty { exitGC(sim: &sim) }
          return
        }
        (tree, plan) = replanned
      }
      try startOperations(plan, in: tree, sim: &sim)
    } catch {
      host.result.operationErrors.append("GC loop: \(error)")
    }
    if host.activeWorkers.isEmpty {
      smlog("No work, exiting", at: sim.now)
      exitGC(sim: &sim)
    }
  }

  /// Starts the next non-leaf coalesce (first fitting candidate in policy order), else the next leaf
  /// coalesce; per SR one at a time, per tree one per tree.
  mutating func startOperations(_ plan: GCPlan, in tree: VHDTree, sim: inout Simulator<PoolEvent>) throws {
    guard let host else { return }
    let sr = host.sr
    var busyRoots = Set(host.activeWorkers.map(\.root))
    let perTree = host.settings.concurrency == .perTree
    if !perTree && !busyRoots.isEmpty { return }
    for child in plan.coalesceable where !busyRoots.contains(tree.root(of: child)) {
      let extra = try sr.coalesceExtraSpace(child: child, in: tree)
      let free = try sr.freeSpace()
      guard extra <= free else {
        smlog("No space to coalesce \(child) (free space: \(free))", at: sim.now)
        continue
      }
      smlog(
        "Coalesce candidate: \(child) (tree height \(tree.height(of: tree.root(of: child))))", at: sim.now)
      startWorker(.coalesce, target: child, root: tree.root(of: child), sim: &sim)
      busyRoots.insert(tree.root(of: child))
      if !perTree { return }
    }
    for leaf in plan.leafCoalesceable where !busyRoots.contains(tree.root(of: leaf)) {
      guard try sr.leafCoalesceExtraSpace(leaf: leaf, in: tree) <= (try sr.freeSpace()) else {
        host.result.leafAttempts.append(
          LeafAttempt(
            vdi: leaf, design: host.design.name, started: sim.now, ended: sim.now, outcome: .noSpace,
            iterations: 0, passes: 0, bytesCopied: 0, pause: .zero, leafSizes: []))
        markFailed(leaf)
        continue
      }
      smlog("Leaf-coalesce candidate: \(leaf)", at: sim.now)
      startWorker(.leaf, target: leaf, root: tree.root(of: leaf), sim: &sim)
      busyRoots.insert(tree.root(of: leaf))
      if !perTree { return }
    }
  }

  /// Remembers a failed target for the rest of this GC process.
  func markFailed(_ uuid: String) {
    guard let host else { return }
    if host.daemon.failed.insert(uuid).inserted { host.result.failedTargets += 1 }
  }

  /// Writes `text` to the SMlog-style log, stamped with the simulated time (when there is a log).
  func smlog(_ text: String, at now: SimTime) {
    guard let log = host?.smlog else { return }
    log.timestamp = Self.smlogTime(now)
    log.log(text)
  }

  /// Simulated time as the log's time stamp: seconds with microseconds, fixed width.
  static func smlogTime(_ t: SimTime) -> String {
    let us = t.nanoseconds / 1000
    let s = String(us / 1_000_000)
    let frac = String(us % 1_000_000)
    return "t+" + String(repeating: "0", count: Swift.max(0, 9 - s.count)) + s + "."
      + String(repeating: "0", count: 6 - frac.count) + frac
  }

  mutating func exitGC(sim: inout Simulator<PoolEvent>) {
    guard let host, host.daemon.alive else { return }
    host.daemon.alive = false
    host.daemon.quiet = false
    if let since = host.activeSince {
      host.result.activeTime += sim.now - since
      host.activeSince = nil
    }
  }
}

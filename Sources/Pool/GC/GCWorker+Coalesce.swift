// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD

/// A non-leaf coalesce in progress (also one round of snapshot-coalesce).
struct CoalesceRun {
  var op: CoalesceOperation?
  /// When the copy began (after the start-up overhead): the speed sample's start.
  var started = SimTime.zero
  /// When the copy's last step finished: the speed sample's end (sm times the `vhd-util coalesce`
  /// run alone, not the relink, refresh and delete after it).
  var copyEnded: SimTime?
  /// The node the next coalesce (after its overhead) folds into its parent.
  var pendingChild = ""
  /// Tapdisks of attached leaves under the coalesced node still to refresh.
  var refreshQueue: [Int] = []
  var refreshed = false
  /// Bytes the last finished coalesce copied.
  var lastBytes: UInt64 = 0
  /// The costs after the copy (checks, relink tags, rescan) are spent.
  var afterCopyCharged = false
}

/// The non-leaf coalesce (docs/storage-manager.md#non-leaf-coalesce): start-up overhead, the
/// `CoalesceOperation` steps on the disk, a refresh (pause, reopen) of every attached leaf under the
/// coalesced node before the node is deleted, and a speed sample.
extension GCWorker {
  /// Starts a non-leaf coalesce of `child`, after the fixed start-up overhead if there is one.
  func beginCoalesce(
    child: String, _ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>
  ) {
    coalesce.pendingChild = child
    mode = .starting
    if job == .coalesce, let parent = try? pool.host.sr.scanTree().parent(of: child) {
      pool.host.smlog("Coalescing \(child) -> \(parent)", at: sim.now)
    }
    let lvm = pool.host.sr.kind != .file
    GCCostCharging.spend(
      daemon.settings.operationOverhead + daemon.settings.costs.beforeCopy(lvm: lvm), then: .beforeCopy,
      self, daemon,
      &pool, &sim)
  }

  func startCoalesceNow(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    do {
      coalesce.op = try CoalesceOperation(
        sr: host.sr, child: coalesce.pendingChild, observer: daemon.recorder)
    } catch {
      coalesceFailed(error, daemon, &pool, &sim)
      return
    }
    coalesce.started = sim.now
    coalesce.copyEnded = nil
    coalesce.afterCopyCharged = false
    coalesce.refreshed = false
    mode = .coalescing
    advanceCoalesce(daemon, &pool, &sim)
  }

  func advanceCoalesce(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    guard let op = coalesce.op else { return }
    if coalesce.copyEnded == nil, op.phase != .start, op.phase != .copying { coalesce.copyEnded = sim.now }
    if op.phase == .relinking && !coalesce.afterCopyCharged {
      coalesce.afterCopyCharged = true
      do {
        let children = try pool.host.sr.scanTree().children(of: op.child).count
        let lvm = pool.host.sr.kind != .file
        GCCostCharging.spend(
          daemon.settings.costs.afterCopy(children: children, lvm: lvm), then: .afterCopy, self, daemon,
          &pool, &sim
        )
      } catch {
        coalesceFailed(error, daemon, &pool, &sim)
      }
      return
    }
    // Relink and refresh run under the SR lock (`_coalesce`); the copy does not.
    if op.phase == .relinking || op.phase == .refreshing {
      mode = .coalescing
      guard pool.host.lock.acquire(.gcWorker(id)) else { return }
    }
    let maxCopy = daemon.settings.maxCopyBytes
    do {
      switch op.phase {
      case .done:
        coalesceDone(daemon, &pool, &sim)
      case .refreshing where !coalesce.refreshed:
        coalesce.refreshed = true
        coalesce.refreshQueue = op.leavesToRefresh.compactMap { host.tapdisk(of: $0) }
        refreshNext(daemon, &pool, &sim)
      default:
        mode = .coalescing
        // A non-leaf coalesce only resizes P (inflate, copy, deflate), rewrites C's children and
        // finally removes C.
        try daemon.submitStep(self, leaf: false, touching: [op.childPath, op.parentPath], &pool, &sim) {
          () throws(SRError) in
          try op.step(maxCopyBytes: maxCopy)
        }
      }
    } catch {
      coalesceFailed(error, daemon, &pool, &sim)
    }
  }

  /// Tapdisk refresh of the next attached leaf (pause, reopen), then the deleting step.
  func refreshNext(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    if let vdi = coalesce.refreshQueue.first {
      mode = .refreshing
      pauseOrRetry(vdi: vdi, daemon, &pool, &sim)
    } else {
      mode = .coalescing
      advanceCoalesce(daemon, &pool, &sim)
    }
  }

  func coalesceDone(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    guard let op = coalesce.op else { return }
    pool.releaseSRLock(.gcWorker(id), sim: &sim)
    host.smlog("Coalesced size = \(op.bytesCopied)", at: sim.now)
    host.result.counts.coalesces += 1
    let seconds = ((coalesce.copyEnded ?? sim.now) - coalesce.started).seconds
    daemon.speedLog.record(
      bytes: daemon.design.speedSampleBytes(copied: op.bytesCopied, childPhysicalSize: op.childPhysicalSize),
      seconds: seconds)
    if seconds > 0 { host.result.speedSamples.append(Double(op.bytesCopied) / seconds) }
    coalesce.op = nil
    coalesce.lastBytes = op.bytesCopied
    leaf?.attempt?.bytesCopied += op.bytesCopied
    do { try host.recordState(at: sim.now) } catch { host.result.operationErrors.append("\(error)") }
    switch job {
    case .coalesce: daemon.finish(self, &pool, &sim)
    case .leaf: roundDone(daemon, &pool, &sim)
    }
  }

  func coalesceFailed(
    _ error: any Error, _ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>
  ) {
    let host = pool.host
    coalesce.op?.abandon()
    coalesce.op = nil
    pool.releaseSRLock(.gcWorker(id), sim: &sim)
    host.result.operationErrors.append("coalesce for \(target): \(error)")
    if job == .coalesce { host.smlog("Coalesce failed, skipping", at: sim.now) }
    daemon.markFailed(target, host)
    switch job {
    case .coalesce: daemon.finish(self, &pool, &sim)
    case .leaf: finishLeaf(.failed("\(error)"), daemon, &pool, &sim)
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD

/// One GC operation in simulated time: a non-leaf coalesce, or a leaf coalesce by the SR's design.
/// It drives the SR's step machines one bounded step at a time; each step's I/O becomes one GC
/// request on the disk FIFO (`GCDaemon.submitStep`), and the next step runs when that request
/// completes, so coalesce copies and guest I/O interleave. Pauses go through the tapdisk protocol
/// (`PoolModel.requestPause`, `reopenChain`); waits (start-up overhead, a pause retry, the copy
/// timeout) on the worker's own kernel timer.
final class GCWorker {
  enum Job { case coalesce, leaf }

  /// What the worker waits for now.
  enum Mode: Equatable {
    /// Before a coalesce's copy: its fixed costs (`GCCostCharging`), then the scans' and checks'
    /// metadata reads on the disk.
    case starting
    /// A `CoalesceOperation` step's request on the disk.
    case coalescing
    /// Refreshing (pause, reopen) the tapdisk of an attached leaf under the coalesced node.
    case refreshing
    /// Snapshot-coalesce: pausing for, or reopening after, the internal snapshot.
    case snapshotting
    /// Waiting for the leaf's tapdisk to drain before a paused copy.
    case leafPausing
    /// `LeafCoalesceOperation` steps with the tapdisk paused (live, offline, mirror's last pass).
    case leafCopy
    /// Mirror: copy passes with the guest running.
    case mirrorCopy
    /// Reopening the leaf's tapdisk after the swap or the undo.
    case leafResuming
    /// The metadata reads of the checks and scan after a copy, before the relink.
    case relinkChecks
  }

  /// What the worker's timer means when it expires.
  enum Wake {
    case none
    case retryPause(Int)
    case timeout
    /// Offline: the VM's suspend, then its resume, are over.
    case suspended, resumed
    /// The SR lock it queued for is now its own.
    case lockGranted
    /// A fixed cost (`GCCosts`) is spent: go on.
    case costSpent(GCCostPoint)
  }

  /// Where a worker spends a fixed cost, and so what it does next.
  enum GCCostPoint: Equatable {
    /// Before a coalesce copy: then the metadata reads, then the copy.
    case beforeCopy
    /// After the copy, before the relink: then the metadata reads, then the relink.
    case afterCopy
    /// Paused for a refresh of tapdisk `vdi`: then the reopen.
    case refresh(vdi: Int)
    /// `VDI.snapshot`'s xapi call before the internal snapshot's lock.
    case snapshotCall
    /// The SM driver's snapshot work, paused: then the snapshot.
    case snapshotPaused(vdi: Int)
    /// The live step's paused bookkeeping after the swap: then the reopen.
    case liveStep
  }

  let id: Int
  let job: Job
  /// Coalesce: the hidden child C. Leaf: the leaf L (the VDI).
  let target: String
  /// Root of the VHD tree it works on (per-tree concurrency).
  let root: String
  let started: SimTime
  var mode = Mode.starting
  private(set) var wake = Wake.none
  var timer = SimTimer()
  /// One of its GC requests is on the disk.
  var requestInFlight = false
  /// The timeout fired while a request was on the disk: undo when it completes (a killed vhd-util's
  /// last I/O still finishes).
  var killPending = false
  /// The non-leaf coalesce it runs now (a leaf job's snapshot-coalesce rounds run one too).
  var coalesce = CoalesceRun()
  /// A leaf job's state.
  var leaf: LeafRun?

  init(id: Int, job: Job, target: String, root: String, started: SimTime) {
    self.id = id
    self.job = job
    self.target = target
    self.root = root
    self.started = started
  }

  func begin(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    switch job {
    case .coalesce: beginCoalesce(child: target, daemon, &pool, &sim)
    case .leaf: beginLeaf(daemon, &pool, &sim)
    }
  }

  /// Waits `delay`, then acts as `wake` says (replacing any wait in progress).
  func wait(_ wake: Wake, after delay: SimTime, _ sim: inout Simulator<PoolEvent>) {
    self.wake = wake
    timer.arm(.gcTimer(worker: Int32(id)), after: delay, in: &sim)
  }

  /// Stops waiting.
  func cancelWait(_ sim: inout Simulator<PoolEvent>) {
    timer.disarm(in: &sim)
    wake = .none
  }

  func timerExpired(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let wake = self.wake
    self.wake = .none
    switch wake {
    case .none: return
    case .retryPause(let vdi): pauseOrRetry(vdi: vdi, daemon, &pool, &sim)
    case .timeout:
      // The paused copy ran past its timeout: kill it and undo. A copy request on the disk still
      // completes first (the killed process's last I/O), so GC requests never overlap.
      guard mode == .leafCopy, let op = leaf?.op, op.phase != .done else { return }
      if requestInFlight {
        killPending = true
      } else {
        leafUndo(.timeout, daemon, &pool, &sim)
      }
    case .suspended: leafPausedReady(daemon, &pool, &sim)
    case .resumed: reopenLeaf(daemon, &pool, &sim)
    case .lockGranted: holdingLock(daemon, &pool, &sim)
    case .costSpent(let point): GCCostCharging.spent(point, self, daemon, &pool, &sim)
    }
  }

  /// The SR lock is its own (taken at once, or granted after a wait): go on with what it was about
  /// to do under it.
  func holdingLock(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    switch mode {
    case .snapshotting:
      // The internal snapshot: pause the leaf's tapdisk, or snapshot at once when nobody has it.
      if let vdi = leaf!.vdi {
        pauseOrRetry(vdi: vdi, daemon, &pool, &sim)
      } else {
        do { try internalSnapshot(vdi: nil, daemon, &pool, &sim) } catch { pool.fail(error, sim: &sim) }
      }
    case .leafPausing:
      // `_liveLeafCoalesce`: rescan, drop the attempt if the leaf vanished or stopped being a
      // candidate meanwhile, else pause. Mirror's last pass has its operation under way.
      if leaf!.op == nil {
        do {
          guard try pool.host.sr.scanTree().isLeafCoalesceable(target) else {
            pool.host.smlog("The VDI is no longer leaf-coalesceable", at: sim.now)
            finishLeaf(.abandoned, daemon, &pool, &sim)
            return
          }
        } catch {
          finishLeaf(.failed("\(error)"), daemon, &pool, &sim)
          return
        }
      }
      if let vdi = leaf!.vdi {
        pauseOrRetry(vdi: vdi, daemon, &pool, &sim)
      } else {
        leafPausedReady(daemon, &pool, &sim)
      }
    case .coalescing: advanceCoalesce(daemon, &pool, &sim)
    case .mirrorCopy: startMirror(daemon, &pool, &sim)
    default: return
    }
  }

  /// Asks tapdisk `vdi` to pause for this worker, or tries again in a millisecond when it is busy.
  func pauseOrRetry(vdi: Int, _ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>)
  {
    if !pool.requestPause(vdi, for: .gcWorker(id), sim: &sim) {
      wait(.retryPause(vdi), after: .milliseconds(1), &sim)
    }
  }

  /// One of its GC requests finished on the disk: the next step.
  func stepDone(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    requestInFlight = false
    if killPending {
      killPending = false
      leafUndo(.timeout, daemon, &pool, &sim)
      return
    }
    switch mode {
    case .coalescing: advanceCoalesce(daemon, &pool, &sim)
    case .leafCopy, .mirrorCopy: advanceLeafCopy(daemon, &pool, &sim)
    case .starting: startCoalesceNow(daemon, &pool, &sim)
    case .relinkChecks:
      mode = .coalescing
      advanceCoalesce(daemon, &pool, &sim)
    default: return
    }
  }

  /// The tapdisk it asked to pause is paused.
  func paused(vdi: Int, _ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    do {
      switch mode {
      case .refreshing:
        let costs = daemon.settings.costs
        GCCostCharging.spend(
          costs.tapdiskRefresh + costs.xapiCall, then: .refresh(vdi: vdi), self, daemon, &pool, &sim)
      case .snapshotting:
        GCCostCharging.spend(
          daemon.settings.costs.smSnapshot, then: .snapshotPaused(vdi: vdi), self, daemon, &pool, &sim)
      case .leafPausing:
        try pool.tapdisks[vdi].chain.close()
        // Offline suspends the VM before the copy.
        if leaf!.suspend > .zero, leaf!.op == nil {
          wait(.suspended, after: leaf!.suspend, &sim)
        } else {
          leafPausedReady(daemon, &pool, &sim)
        }
      default:
        return
      }
    } catch {
      pool.fail(error, sim: &sim)
    }
  }

  /// The tapdisk it paused runs again after `pause`.
  func resumed(
    vdi: Int, pause: SimTime, _ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>
  ) {
    switch mode {
    case .refreshing:
      leaf?.attempt?.pause += pause
      coalesce.refreshQueue.removeFirst()
      refreshNext(daemon, &pool, &sim)
    case .snapshotting:
      leaf?.attempt?.pause += pause
      afterInternalSnapshot(daemon, &pool, &sim)
    case .leafResuming:
      leaf?.attempt?.pause += pause
      finishLeaf(leaf?.attempt?.outcome ?? .success, daemon, &pool, &sim)
    default:
      return
    }
  }
}

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
    /// The fixed start-up overhead of a coalesce (a wake-up).
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
  }

  /// What the worker's timer means when it expires.
  enum Wake {
    case none, overhead
    case retryPause(Int)
    case timeout
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
    case .overhead: startCoalesceNow(daemon, &pool, &sim)
    case .retryPause(let vdi): pauseOrRetry(vdi: vdi, daemon, &pool, &sim)
    case .timeout: leafTimedOut(daemon, &pool, &sim)
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
    default: return
    }
  }

  /// The tapdisk it asked to pause is paused.
  func paused(vdi: Int, _ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    do {
      switch mode {
      case .refreshing:
        try pool.reopenChain(vdi, closeFirst: true, for: .gcWorker(id), sim: &sim)
      case .snapshotting:
        try internalSnapshot(vdi: vdi, daemon, &pool, &sim)
      case .leafPausing:
        try pool.tapdisks[vdi].chain.close()
        leafPausedReady(daemon, &pool, &sim)
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

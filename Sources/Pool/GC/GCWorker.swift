// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD

/// One GC operation in simulated time: a non-leaf coalesce, or a leaf coalesce by the SR's design.
/// It drives the SR's step machines one bounded step at a time; each step's I/O becomes one GC
/// request on the disk FIFO, and the next step runs when that request completes, so coalesce copies
/// and guest I/O interleave. Pauses go through the tapdisk machinery (drain, reopen).
final class GCWorker {
  /// `gcWake` worker ids that are not workers.
  static let quietPeriod: Int32 = -1
  static let attachKick: Int32 = -2

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
  var mode = Mode.starting
  var wake = Wake.none
  /// Current wake-up; an older one is ignored.
  var token: Int32 = 0
  var coalesce: CoalesceOperation?
  var coalesceStarted = SimTime.zero
  var refreshQueue: [Int] = []
  var refreshed = false
  /// Leaf jobs: the operation, the leaf's tapdisk (nil when not attached), the attempt being recorded.
  var leafOp: LeafCoalesceOperation?
  var leafVDI: Int?
  var attempt: LeafAttempt?
  var tracker: CoalesceTracker?
  var sizeBefore: UInt64 = 0
  var copyStarted = SimTime.zero
  var copyTimeout: SimTime?
  var mirrorPass = 0
  /// One of its GC requests is on the disk.
  var requestInFlight = false
  /// The timeout fired while a request was on the disk: undo when it completes (a killed vhd-util's
  /// last I/O still finishes).
  var killPending = false
  var started = SimTime.zero
  var lastCoalesceBytes: UInt64 = 0
  /// The node the next coalesce (after its overhead) folds into its parent.
  var pendingChild = ""
  /// Snapshot-coalesce: the current iteration's start.
  var iterationStarted = SimTime.zero

  init(id: Int, job: Job, target: String, root: String) {
    self.id = id
    self.job = job
    self.target = target
    self.root = root
  }

  /// The tapdisk a leaf job owns (the SR lock of §3.3: no snapshot of it meanwhile).
  var holdsVDI: Int? { job == .leaf ? leafVDI : nil }
}

extension PoolModel {
  // MARK: worker life cycle

  mutating func startWorker(
    _ job: GCWorker.Job, target: String, root: String, sim: inout Simulator<PoolEvent>
  ) {
    guard let host else { return }
    let w = GCWorker(id: host.workers.count, job: job, target: target, root: root)
    w.started = sim.now
    host.workers.append(w)
    host.workersChanged(at: sim.now)
    beginJob(w, sim: &sim)
  }

  mutating func schedule(
    _ w: GCWorker, _ wake: GCWorker.Wake, after delay: SimTime, sim: inout Simulator<PoolEvent>
  ) {
    w.token &+= 1
    w.wake = wake
    sim.schedule(.gcWake(worker: Int32(w.id), token: w.token), after: delay)
  }

  mutating func workerWoke(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    let wake = w.wake
    w.wake = .none
    switch wake {
    case .none: return
    case .overhead: startCoalesceNow(w, sim: &sim)
    case .retryPause(let vdi): pauseOrRetry(w, vdi: vdi, sim: &sim)
    case .timeout: leafTimedOut(w, sim: &sim)
    }
  }

  mutating func beginJob(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    switch w.job {
    case .coalesce: beginCoalesce(w, child: w.target, sim: &sim)
    case .leaf: beginLeaf(w, sim: &sim)
    }
  }

  /// The worker is done: forget it, place what it left, record the state, and let the loop go on.
  mutating func finishWorker(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    host.workers[w.id] = nil
    w.token &+= 1
    host.result.operations.append(
      GCOperation(
        kind: w.job == .coalesce ? .coalesce : .leaf, target: w.target, started: w.started, ended: sim.now))
    host.workersChanged(at: sim.now)
    do {
      // A coalesce's nodes were placed step by step; a leaf job renames and deletes: sync all.
      if w.job == .coalesce {
        try syncPlacement(paths: [host.sr.path(of: w.target)])
      } else {
        try syncPlacement()
      }
      try host.recordState(at: sim.now)
    } catch {
      fail(error, sim: &sim)
      return
    }
    gcLoop(sim: &sim)
  }

  mutating func pauseOrRetry(_ w: GCWorker, vdi: Int, sim: inout Simulator<PoolEvent>) {
    if !requestPause(vdi, for: .gcWorker(w.id), sim: &sim) {
      schedule(w, .retryPause(vdi), after: .milliseconds(1), sim: &sim)
    }
  }

  // MARK: GC requests on the disk

  /// Runs one step of a step machine and sends its I/O to the disk as one GC request; `renames`
  /// are applied to the placement right after the step (the leaf swap), before its I/O is placed.
  mutating func runStep(
    _ w: GCWorker, leaf: Bool, renames: [(String, String)] = [], touching: [String]? = nil,
    sim: inout Simulator<PoolEvent>, _ step: () throws(SRError) -> GCStepWork
  ) throws {
    guard let host else { return }
    host.recorder.reset()
    let work = try step()
    for (from, to) in renames { renameVolume(from, to: to) }
    if leaf {
      host.result.bytesCopiedLeaf += work.bytesCopied
    } else {
      host.result.bytesCopiedNonLeaf += work.bytesCopied
    }
    let s = allocateSlot()
    let i = Int(s)
    slots[i].kind = .gc
    slots[i].vm = Int32(w.id)
    slots[i].vdi = -1
    slots[i].ops.removeAll(keepingCapacity: true)
    for io in host.recorder.ios where io.length > 0 && io.level < work.levelPaths.count {
      let name = work.levelPaths[io.level]
      let volume: Int
      if let v = tap.placement.volume(named: name) {
        volume = v
      } else {
        volume = try tap.state.pointee.placement.attach(name, size: 0)
      }
      try tap.state.pointee.placement.translate(
        volume: volume, offset: io.offset, length: io.length, isWrite: io.direction == .write,
        into: &slots[i].ops)
    }
    // A step that says which nodes it may touch (beyond its levels) syncs just those; otherwise it
    // may add, remove or rename any node, and the whole folder is synced.
    if let touching { try syncPlacement(paths: work.levelPaths + touching) } else { try syncPlacement() }
    try host.recordSpace(at: sim.now)
    host.gcRequestsInFlight += 1
    w.requestInFlight = true
    host.result.maxGCRequestsInFlight = Swift.max(host.result.maxGCRequestsInFlight, host.gcRequestsInFlight)
    submit(s, sim: &sim)
  }

  /// A GC request finished on the disk: the worker takes its next step.
  mutating func gcRequestDone(_ id: Int, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    host.gcRequestsInFlight -= 1
    guard host.workers.indices.contains(id), let w = host.workers[id] else { return }
    w.requestInFlight = false
    if w.killPending {
      w.killPending = false
      leafUndo(w, .timeout, sim: &sim)
      return
    }
    switch w.mode {
    case .coalescing: advanceCoalesce(w, sim: &sim)
    case .leafCopy, .mirrorCopy: advanceLeafCopy(w, sim: &sim)
    default: return
    }
  }

  // MARK: non-leaf coalesce

  /// Starts a non-leaf coalesce of `child`, after the fixed start-up overhead if there is one.
  mutating func beginCoalesce(_ w: GCWorker, child: String, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    w.pendingChild = child
    if host.settings.operationOverhead > .zero {
      w.mode = .starting
      schedule(w, .overhead, after: host.settings.operationOverhead, sim: &sim)
    } else {
      startCoalesceNow(w, sim: &sim)
    }
  }

  mutating func startCoalesceNow(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    let child = w.pendingChild
    do {
      w.coalesce = try CoalesceOperation(sr: host.sr, child: child, observer: host.recorder)
    } catch {
      coalesceFailed(w, error: error, sim: &sim)
      return
    }
    w.coalesceStarted = sim.now
    w.refreshed = false
    w.mode = .coalescing
    advanceCoalesce(w, sim: &sim)
  }

  mutating func advanceCoalesce(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    guard let host, let op = w.coalesce else { return }
    let maxCopy = host.settings.maxCopyBytes
    do {
      switch op.phase {
      case .done:
        coalesceDone(w, sim: &sim)
      case .refreshing where !w.refreshed:
        w.refreshed = true
        w.refreshQueue = op.leavesToRefresh.compactMap { host.tapdisk(of: $0) }
        refreshNext(w, sim: &sim)
      default:
        w.mode = .coalescing
        // A non-leaf coalesce only resizes P (inflate, copy, deflate), rewrites C's children and
        // finally removes C.
        try runStep(w, leaf: false, touching: [op.childPath, op.parentPath], sim: &sim) {
          () throws(SRError) in
          try op.step(maxCopyBytes: maxCopy)
        }
      }
    } catch {
      coalesceFailed(w, error: error, sim: &sim)
    }
  }

  /// Tapdisk refresh of the next attached leaf (pause, reopen), then the deleting step.
  mutating func refreshNext(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    if let vdi = w.refreshQueue.first {
      w.mode = .refreshing
      pauseOrRetry(w, vdi: vdi, sim: &sim)
    } else {
      w.mode = .coalescing
      advanceCoalesce(w, sim: &sim)
    }
  }

  mutating func coalesceDone(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    guard let host, let op = w.coalesce else { return }
    smlog("Coalesced size = \(op.bytesCopied)", at: sim.now)
    host.result.coalesces += 1
    let seconds = (sim.now - w.coalesceStarted).seconds
    host.speedLog.record(bytes: op.bytesCopied, seconds: seconds)
    if seconds > 0 { host.result.speedSamples.append(Double(op.bytesCopied) / seconds) }
    w.coalesce = nil
    w.lastCoalesceBytes = op.bytesCopied
    if w.attempt != nil { w.attempt!.bytesCopied += op.bytesCopied }
    do { try host.recordState(at: sim.now) } catch { host.result.operationErrors.append("\(error)") }
    switch w.job {
    case .coalesce: finishWorker(w, sim: &sim)
    case .leaf: leafIterationDone(w, sim: &sim)
    }
  }

  mutating func coalesceFailed(_ w: GCWorker, error: any Error, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    w.coalesce?.abandon()
    w.coalesce = nil
    host.result.operationErrors.append("coalesce for \(w.target): \(error)")
    markFailed(w.target)
    switch w.job {
    case .coalesce: finishWorker(w, sim: &sim)
    case .leaf: finishLeaf(w, .failed("\(error)"), sim: &sim)
    }
  }

  // MARK: pauses

  mutating func workerPaused(_ id: Int, vdi: Int, sim: inout Simulator<PoolEvent>) {
    guard let host, host.workers.indices.contains(id), let w = host.workers[id] else { return }
    do {
      switch w.mode {
      case .refreshing:
        try resume(vdi, closeFirst: true, for: .gcWorker(w.id), sim: &sim)
      case .snapshotting:
        try internalSnapshot(w, vdi: vdi, sim: &sim)
      case .leafPausing:
        try tapdisks[vdi].chain.close()
        leafPausedReady(w, sim: &sim)
      default:
        return
      }
    } catch {
      fail(error, sim: &sim)
    }
  }

  mutating func workerResumed(_ id: Int, vdi: Int, pause: SimTime, sim: inout Simulator<PoolEvent>) {
    guard let host, host.workers.indices.contains(id), let w = host.workers[id] else { return }
    switch w.mode {
    case .refreshing:
      if w.attempt != nil { w.attempt!.pause += pause }
      w.refreshQueue.removeFirst()
      refreshNext(w, sim: &sim)
    case .snapshotting:
      w.attempt?.pause += pause
      afterInternalSnapshot(w, sim: &sim)
    case .leafResuming:
      w.attempt?.pause += pause
      finishLeaf(w, w.attempt?.outcome ?? .success, sim: &sim)
    default:
      return
    }
  }
}

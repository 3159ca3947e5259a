// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD

/// The leaf-coalesce designs in simulated time (§3, §8), all on `LeafCoalesceOperation`:
/// - `live`: only when `LiveCoalescePolicy.canLiveCoalesce` passes with the SR's speed estimate;
///   pause, copy under the timeout (past it: undo, failed target), swap, reopen.
/// - `snapshot-coalesce`: internal snapshot (pause, reopen), timed non-leaf coalesce of the new
///   hidden parent while the guest writes to the new leaf, tracker fed with the leaf's physical size
///   before and after; repeat until `live` is allowed, or give up with the tracker's reason.
/// - `offline`: the VM suspended (tapdisk paused) for the whole copy, no timeout.
/// - `mirror`: copy while the guest runs, tracking the blocks it dirties; re-copy them in passes;
///   pause only for the last delta, swap, reopen.
extension PoolModel {
  mutating func beginLeaf(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    w.leafVDI = host.tapdisk(of: w.target)
    w.attempt = LeafAttempt(
      vdi: w.target, design: host.design.name, started: sim.now, ended: sim.now, outcome: .success,
      iterations: 0, passes: 0, bytesCopied: 0, pause: .zero, leafSizes: [])
    leafDecide(w, sim: &sim)
  }

  /// The head of the leaf loop: a fresh scan, then what the design does with this leaf now.
  mutating func leafDecide(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    let node: VHDNode
    do {
      let tree = try host.sr.scanTree()
      guard tree.isLeafCoalesceable(w.target), let n = tree.node(w.target) else {
        finishLeaf(w, .abandoned, sim: &sim)
        return
      }
      node = n
    } catch {
      finishLeaf(w, .failed("\(error)"), sim: &sim)
      return
    }
    let speed = host.speedLog.estimate
    switch host.design {
    case .none:
      finishLeaf(w, .abandoned, sim: &sim)
    case .live(let policy):
      guard policy.canLiveCoalesce(node, speed: speed) else {
        finishLeaf(w, .notAllowed, sim: &sim)
        return
      }
      startPausedCopy(w, timeout: policy.copyTimeoutSeconds, sim: &sim)
    case .snapshotCoalesce(let policy, let variant):
      if w.tracker == nil { w.tracker = CoalesceTracker(variant: variant) }
      if policy.canLiveCoalesce(node, speed: speed) {
        startPausedCopy(w, timeout: policy.copyTimeoutSeconds, sim: &sim)
      } else {
        w.sizeBefore = node.physicalSize
        w.iterationStarted = sim.now
        w.mode = .snapshotting
        if let vdi = w.leafVDI {
          pauseOrRetry(w, vdi: vdi, sim: &sim)
        } else {
          do { try internalSnapshot(w, vdi: nil, sim: &sim) } catch { fail(error, sim: &sim) }
        }
      }
    case .offline:
      startPausedCopy(w, timeout: nil, sim: &sim)
    case .mirror:
      startMirror(w, sim: &sim)
    }
  }

  // MARK: paused copy (live, offline, mirror's last pass)

  mutating func startPausedCopy(_ w: GCWorker, timeout: Double?, sim: inout Simulator<PoolEvent>) {
    w.copyTimeout = timeout.map { SimTime(seconds: $0) }
    w.mode = .leafPausing
    if let vdi = w.leafVDI {
      pauseOrRetry(w, vdi: vdi, sim: &sim)
    } else {
      leafPausedReady(w, sim: &sim)
    }
  }

  /// The leaf's tapdisk is drained and its chain closed (or the leaf is not attached).
  mutating func leafPausedReady(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    do {
      if let op = w.leafOp {
        // Mirror's last pass: whatever the guest dirtied since the previous pass, tapdisk paused.
        var blocks: [Int] = []
        if let vdi = w.leafVDI, tapdisks[vdi].mirror != nil {
          blocks = tapdisks[vdi].mirror!.take()
          tapdisks[vdi].mirror = nil
        }
        w.mirrorPass += 1
        if !blocks.isEmpty { try op.recopy(blocks: blocks) }
      } else {
        w.leafOp = try LeafCoalesceOperation(sr: host.sr, leaf: w.target, observer: host.recorder)
        w.copyStarted = sim.now
      }
    } catch {
      leafUndo(w, .failed("\(error)"), sim: &sim)
      return
    }
    w.mode = .leafCopy
    if let t = w.copyTimeout { schedule(w, .timeout, after: t, sim: &sim) }
    advanceLeafCopy(w, sim: &sim)
  }

  /// The next step of the leaf operation, paused or (mirror) live.
  mutating func advanceLeafCopy(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    guard let host, let op = w.leafOp else { return }
    let maxCopy = host.settings.maxCopyBytes
    do {
      switch op.phase {
      case .done:
        leafSwapped(w, sim: &sim)
      case .swapping where w.mode == .mirrorCopy:
        mirrorPassEnded(w, sim: &sim)
      case .swapping:
        let renames = [(op.leafPath, op.oldLeafPath), (op.parentPath, op.leafPath)]
        try runStep(w, leaf: true, renames: renames, sim: &sim) { () throws(SRError) in
          try op.step(maxCopyBytes: maxCopy)
        }
      case .start, .copying:
        try runStep(w, leaf: true, touching: op.phase == .copying ? [] : nil, sim: &sim) {
          () throws(SRError) in
          try op.step(maxCopyBytes: maxCopy)
        }
      }
    } catch {
      leafUndo(w, .failed("\(error)"), sim: &sim)
    }
  }

  /// Swapped: the VDI now ends at the merged node. Speed sample, then reopen the tapdisk.
  mutating func leafSwapped(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    guard let host, let op = w.leafOp else { return }
    w.token &+= 1  // cancels the timeout
    w.wake = .none
    let seconds = (sim.now - w.copyStarted).seconds
    host.speedLog.record(bytes: op.bytesCopied, seconds: seconds)
    if seconds > 0 { host.result.speedSamples.append(Double(op.bytesCopied) / seconds) }
    host.result.leafCoalesces += 1
    w.attempt?.bytesCopied += op.bytesCopied
    w.attempt?.passes = w.mirrorPass
    w.attempt?.outcome = .success
    reopenLeaf(w, sim: &sim)
  }

  /// The paused copy ran past its timeout: kill it, undo, failed target, reopen. A copy request on
  /// the disk still completes first (the killed process's last I/O), so GC requests never overlap.
  mutating func leafTimedOut(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    guard w.mode == .leafCopy, let op = w.leafOp, op.phase != .done else { return }
    if w.requestInFlight {
      w.killPending = true
    } else {
      leafUndo(w, .timeout, sim: &sim)
    }
  }

  /// Undo of a failed or killed leaf operation (`_handleInterruptedCoalesceLeaf`), then reopen.
  mutating func leafUndo(_ w: GCWorker, _ outcome: LeafOutcome, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    w.token &+= 1
    w.wake = .none
    do {
      if let op = w.leafOp { try op.undo() }
      try syncPlacement()
    } catch {
      host.result.operationErrors.append("leaf undo of \(w.target): \(error)")
    }
    if let op = w.leafOp { w.attempt?.bytesCopied += op.bytesCopied }
    if let vdi = w.leafVDI { tapdisks[vdi].mirror = nil }
    w.attempt?.outcome = outcome
    w.attempt?.passes = w.mirrorPass
    markFailed(w.target)
    reopenLeaf(w, sim: &sim)
  }

  /// Reopens the leaf's tapdisk (paused, chain closed) on the VDI's path; the attempt ends when the
  /// reopen's metadata read is done. A leaf that is not attached or not paused ends now.
  mutating func reopenLeaf(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    guard let vdi = w.leafVDI, tapdisks[vdi].state == .paused else {
      finishLeaf(w, w.attempt?.outcome ?? .success, sim: &sim)
      return
    }
    w.mode = .leafResuming
    do {
      try syncPlacement()
      try resume(vdi, closeFirst: false, for: .gcWorker(w.id), sim: &sim)
    } catch {
      fail(error, sim: &sim)
    }
  }

  mutating func finishLeaf(_ w: GCWorker, _ outcome: LeafOutcome, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    if let vdi = w.leafVDI { tapdisks[vdi].mirror = nil }
    if var a = w.attempt {
      a.outcome = outcome
      a.ended = sim.now
      host.result.leafAttempts.append(a)
      w.attempt = nil
    }
    if outcome != .success { markFailed(w.target) }
    finishWorker(w, sim: &sim)
  }

  // MARK: snapshot-coalesce

  /// The leaf's tapdisk is paused (or the leaf is not attached): `SR.snapshot(.internal)` turns the
  /// leaf into a hidden parent T with a new empty leaf, then the tapdisk reopens on the new chain.
  mutating func internalSnapshot(_ w: GCWorker, vdi: Int?, sim: inout Simulator<PoolEvent>) throws {
    guard let host else { return }
    if let vdi { try tapdisks[vdi].chain.close() }
    host.sr.stamps.unixTime = 1_700_000_000 + sim.now.nanoseconds / 1_000_000_000
    var outcome: LeafOutcome?
    do {
      let path = try host.sr.record(w.target).path
      let made = try host.sr.snapshot(w.target, kind: .internal)
      if let base = made.baseCopy { renameVolume(path, to: base.path) }
    } catch SRError.insufficientSpace {
      outcome = .noSpace
    } catch {
      outcome = .failed("\(error)")
    }
    try syncPlacement()
    try host.recordState(at: sim.now)
    if let outcome { w.attempt?.outcome = outcome }
    if let vdi {
      try resume(vdi, closeFirst: false, for: .gcWorker(w.id), sim: &sim)
    } else {
      afterInternalSnapshot(w, sim: &sim)
    }
  }

  /// After the internal snapshot: coalesce the new hidden parent T into P (timed, guest running).
  mutating func afterInternalSnapshot(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    if let outcome = w.attempt?.outcome, outcome != .success {
      finishLeaf(w, outcome, sim: &sim)
      return
    }
    do {
      let tree = try host.sr.scanTree()
      guard let t = tree.parent(of: w.target), tree.isCoalesceable(t) else {
        finishLeaf(w, .abandoned, sim: &sim)
        return
      }
      w.attempt?.iterations += 1
      host.result.leafIterations += 1
      beginCoalesce(w, child: t, sim: &sim)
    } catch {
      finishLeaf(w, .failed("\(error)"), sim: &sim)
    }
  }

  /// One snapshot-coalesce iteration is over: feed the tracker, give up or go round again.
  mutating func leafIterationDone(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    guard let host else { return }
    do {
      let tree = try host.sr.scanTree()
      guard tree.isLeafCoalesceable(w.target), let node = tree.node(w.target) else {
        finishLeaf(w, .abandoned, sim: &sim)
        return
      }
      let after = node.physicalSize
      w.attempt?.leafSizes.append(after)
      w.attempt?.iterationLog.append(
        SnapshotCoalesceIteration(
          started: w.iterationStarted, coalesceStarted: w.coalesceStarted, ended: sim.now,
          sizeBefore: w.sizeBefore,
          sizeAfter: after, bytesCopied: w.lastCoalesceBytes))
      if let reason = w.tracker?.abort(previousSize: w.sizeBefore, currentSize: after) {
        let text = reason.message(maxIterations: w.tracker?.maxIterations ?? 0)
        for line in w.tracker?.summaryLines(reason: reason) ?? [] { smlog(line, at: sim.now) }
        finishLeaf(w, .gaveUp(text), sim: &sim)
        return
      }
    } catch {
      finishLeaf(w, .failed("\(error)"), sim: &sim)
      return
    }
    leafDecide(w, sim: &sim)
  }

  // MARK: mirror

  /// Starts the live copy: dirty tracking on the leaf's tapdisk from now, then the operation's
  /// first full pass with the guest running. A leaf nobody has attached is simply copied paused.
  mutating func startMirror(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    guard let host, let vdi = w.leafVDI else {
      startPausedCopy(w, timeout: nil, sim: &sim)
      return
    }
    let leaf = tapdisks[vdi].chain.leaf
    let blockBytes = UInt64(leaf.header?.blockSize ?? UInt32(VHDSpace.blockSize))
    let blocks = Int((leaf.virtualSize + blockBytes - 1) / blockBytes)
    tapdisks[vdi].mirror = MirrorTracker(blocks: blocks, blockBytes: blockBytes)
    do {
      w.leafOp = try LeafCoalesceOperation(sr: host.sr, leaf: w.target, observer: host.recorder)
    } catch {
      tapdisks[vdi].mirror = nil
      finishLeaf(w, .failed("\(error)"), sim: &sim)
      return
    }
    w.copyStarted = sim.now
    w.copyTimeout = nil
    w.mirrorPass = 1
    w.mode = .mirrorCopy
    advanceLeafCopy(w, sim: &sim)
  }

  /// A live pass ended: pause for the last pass when the dirtied set is small enough (or the pass
  /// limit is reached), else re-copy the dirtied blocks with the guest still running.
  mutating func mirrorPassEnded(_ w: GCWorker, sim: inout Simulator<PoolEvent>) {
    guard case .mirror(let parameters) = host?.design, let vdi = w.leafVDI, let op = w.leafOp,
      tapdisks[vdi].mirror != nil
    else { return }
    let dirtyBytes = UInt64(tapdisks[vdi].mirror!.count) * tapdisks[vdi].mirror!.sectorsPerBlock * 512
    if parameters.shouldPause(afterPass: w.mirrorPass, dirtyBytes: dirtyBytes) {
      startPausedCopy(w, timeout: nil, sim: &sim)
      return
    }
    let blocks = tapdisks[vdi].mirror!.take()
    w.mirrorPass += 1
    do {
      try op.recopy(blocks: blocks)
    } catch {
      leafUndo(w, .failed("\(error)"), sim: &sim)
      return
    }
    advanceLeafCopy(w, sim: &sim)
  }
}

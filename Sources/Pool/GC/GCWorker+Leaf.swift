// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD

/// A leaf job's state: the design's decisions, the operation, the leaf's tapdisk and the attempt being
/// recorded.
struct LeafRun {
  var strategy: any LeafCoalesceStrategy
  /// The leaf's tapdisk (nil when no tapdisk of the pool serves it).
  let vdi: Int?
  var attempt: LeafAttempt?
  var op: LeafCoalesceOperation?
  var copyStarted = SimTime.zero
  /// When the copy's last step finished (the speed sample's end, before the swap).
  var copyEnded: SimTime?
  var copyTimeout: SimTime?
  var mirrorPass = 0
  /// Offline: the VM's suspend (before the copy) and resume (after it); zero for the other designs.
  var suspend = SimTime.zero
  var resume = SimTime.zero
  /// Snapshot-coalesce: the current round's start and the leaf's physical size then.
  var roundStarted = SimTime.zero
  var sizeBefore: UInt64 = 0
}

/// The leaf-coalesce mechanics every design shares (docs/storage-manager.md#leaf-coalesce), on
/// `LeafCoalesceOperation`: the decision at the head of the loop (the design's), the paused copy under
/// an optional timeout, the swap, the undo of a failed or killed copy, and the reopen of the leaf's
/// tapdisk. Snapshot-coalesce rounds and mirror passes are in their own files.
extension GCWorker {
  func beginLeaf(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    let vdi = host.tapdisk(of: target)
    if let parent = try? host.sr.scanTree().parent(of: target) {
      host.smlog("Leaf-coalescing \(target) -> \(parent)", at: sim.now)
    }
    leaf = LeafRun(
      strategy: daemon.design.makeStrategy(), vdi: vdi,
      attempt: LeafAttempt(
        vdi: target, design: daemon.design.name, started: sim.now, ended: sim.now, outcome: .success,
        iterations: 0, passes: 0, bytesCopied: 0, pause: .zero, leafSizes: []))
    decide(daemon, &pool, &sim)
  }

  /// The head of the leaf loop: a fresh scan, then what the design does with this leaf now.
  func decide(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    let node: VHDNode
    do {
      let tree = try host.sr.scanTree()
      guard tree.isLeafCoalesceable(target), let n = tree.node(target) else {
        finishLeaf(.abandoned, daemon, &pool, &sim)
        return
      }
      node = n
    } catch {
      finishLeaf(.failed("\(error)"), daemon, &pool, &sim)
      return
    }
    switch leaf!.strategy.nextMove(for: node, speed: daemon.speedLog.estimate) {
    case .abandon: finishLeaf(.abandoned, daemon, &pool, &sim)
    case .refuse: finishLeaf(.notAllowed, daemon, &pool, &sim)
    case .pausedCopy(let timeout): startPausedCopy(timeout: timeout, daemon, &pool, &sim)
    case .suspendedCopy(let suspend, let resume):
      leaf!.suspend = suspend
      leaf!.resume = resume
      startPausedCopy(timeout: nil, daemon, &pool, &sim)
    case .snapshotRound: startRound(leafSize: node.physicalSize, daemon, &pool, &sim)
    case .mirror: startMirror(daemon, &pool, &sim)
    }
  }

  // MARK: paused copy (live, offline, mirror's last pass)

  func startPausedCopy(
    timeout: Double?, _ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>
  ) {
    leaf!.copyTimeout = timeout.map { SimTime(seconds: $0) }
    if timeout == nil { pool.host.smlog("Leaf-coalesce forced, will not use timeout", at: sim.now) }
    mode = .leafPausing
    guard pool.host.lock.acquire(.gcWorker(id)) else { return }
    holdingLock(daemon, &pool, &sim)
  }

  /// The leaf's tapdisk is drained and its chain closed (or the leaf is not attached).
  func leafPausedReady(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    do {
      if let op = leaf!.op {
        // Mirror's last pass: whatever the guest dirtied since the previous pass, tapdisk paused.
        var blocks: [Int] = []
        if let vdi = leaf!.vdi, pool.tapdisks[vdi].mirror != nil {
          blocks = pool.tapdisks[vdi].mirror!.take()
          pool.tapdisks[vdi].mirror = nil
        }
        leaf!.mirrorPass += 1
        if !blocks.isEmpty { try op.recopy(blocks: blocks) }
      } else {
        leaf!.op = try LeafCoalesceOperation(sr: host.sr, leaf: target, observer: daemon.recorder)
        leaf!.copyStarted = sim.now
      }
    } catch {
      leafUndo(.failed("\(error)"), daemon, &pool, &sim)
      return
    }
    mode = .leafCopy
    if let t = leaf!.copyTimeout { wait(.timeout, after: t, &sim) }
    advanceLeafCopy(daemon, &pool, &sim)
  }

  /// The next step of the leaf operation, paused or (mirror) live.
  func advanceLeafCopy(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    guard let op = leaf?.op else { return }
    let maxCopy = daemon.settings.maxCopyBytes
    do {
      switch op.phase {
      case .done:
        leafSwapped(daemon, &pool, &sim)
      case .swapping where mode == .mirrorCopy:
        mirrorPassEnded(daemon, &pool, &sim)
      case .swapping:
        if leaf!.copyEnded == nil { leaf!.copyEnded = sim.now }
        let renames = [(op.leafPath, op.oldLeafPath), (op.parentPath, op.leafPath)]
        try daemon.submitStep(self, leaf: true, renames: renames, &pool, &sim) { () throws(SRError) in
          try op.step(maxCopyBytes: maxCopy)
        }
      case .start, .copying:
        try daemon.submitStep(self, leaf: true, touching: op.phase == .copying ? [] : nil, &pool, &sim) {
          () throws(SRError) in
          try op.step(maxCopyBytes: maxCopy)
        }
      }
    } catch {
      leafUndo(.failed("\(error)"), daemon, &pool, &sim)
    }
  }

  /// Swapped: the VDI now ends at the merged node. Speed sample, then reopen the tapdisk.
  func leafSwapped(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    guard let op = leaf?.op else { return }
    cancelWait(&sim)  // the timeout
    let seconds = ((leaf!.copyEnded ?? sim.now) - leaf!.copyStarted).seconds
    daemon.speedLog.record(
      bytes: daemon.design.speedSampleBytes(copied: op.bytesCopied, childPhysicalSize: op.childPhysicalSize),
      seconds: seconds)
    if seconds > 0 { host.result.speedSamples.append(Double(op.bytesCopied) / seconds) }
    host.result.counts.leafCoalesces += 1
    leaf!.attempt?.bytesCopied += op.bytesCopied
    let passes = leaf!.mirrorPass
    leaf!.attempt?.passes = passes
    leaf!.attempt?.outcome = .success
    // The paused bookkeeping around the copy (journal, checks, renames, records, other hosts).
    let lvm = host.sr.kind != .file
    GCCostCharging.spend(
      daemon.settings.costs.liveStepPaused(lvm: lvm), then: .liveStep, self, daemon, &pool, &sim)
  }

  /// Undo of a failed or killed leaf operation (`_handleInterruptedCoalesceLeaf`), then reopen.
  func leafUndo(
    _ outcome: LeafOutcome, _ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>
  ) {
    let host = pool.host
    cancelWait(&sim)
    do {
      if let op = leaf?.op { try op.undo() }
      try pool.syncPlacement()
    } catch {
      host.result.operationErrors.append("leaf undo of \(target): \(error)")
    }
    if let op = leaf?.op { leaf!.attempt?.bytesCopied += op.bytesCopied }
    if let vdi = leaf?.vdi { pool.tapdisks[vdi].mirror = nil }
    leaf?.attempt?.outcome = outcome
    let passes = leaf?.mirrorPass ?? 0
    leaf?.attempt?.passes = passes
    daemon.markFailed(target, host)
    reopenLeaf(daemon, &pool, &sim)
  }

  /// Reopens the leaf's tapdisk (paused, chain closed) on the VDI's path; the attempt ends when the
  /// reopen's metadata read is done. A leaf that is not attached or not paused ends now.
  func reopenLeaf(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    guard let vdi = leaf?.vdi, pool.tapdisks[vdi].state == .paused else {
      finishLeaf(leaf?.attempt?.outcome ?? .success, daemon, &pool, &sim)
      return
    }
    // Offline: the VM resumes before its disk runs again.
    if let resume = leaf?.resume, resume > .zero {
      leaf!.resume = .zero
      wait(.resumed, after: resume, &sim)
      return
    }
    mode = .leafResuming
    do {
      try pool.syncPlacement()
      try pool.reopenChain(vdi, closeFirst: false, for: .gcWorker(id), sim: &sim)
    } catch {
      pool.fail(error, sim: &sim)
    }
  }

  /// The leaf job ends: the attempt is recorded, a target that did not succeed is remembered.
  func finishLeaf(
    _ outcome: LeafOutcome, _ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>
  ) {
    let host = pool.host
    if let vdi = leaf?.vdi { pool.tapdisks[vdi].mirror = nil }
    if var a = leaf?.attempt {
      a.outcome = outcome
      a.ended = sim.now
      host.result.leaf.attempts.append(a)
      leaf!.attempt = nil
    }
    // sm remembers a target only when leaf coalesce raised (a give-up, a timeout, an error, a failed
    // internal snapshot); a leaf whose tree changed meanwhile (`_coalesceLeaf` returning False) is a
    // candidate again on the next pass. `live-only`'s refusal is remembered too, or the loop would
    // pick the same leaf at once (the design is hypothetical; sm has no refusal).
    if outcome != .success && outcome != .abandoned {
      host.smlog("Leaf-coalesce failed on \(target), skipping", at: sim.now)
      daemon.markFailed(target, host)
    }
    daemon.finish(self, &pool, &sim)
  }
}

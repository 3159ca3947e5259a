// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD

/// Snapshot-coalesce rounds (docs/storage-manager.md#snapshot-coalesce): the leaf's tapdisk paused
/// for an internal snapshot, which turns the leaf into a hidden parent T under a new empty leaf; the
/// tapdisk reopened on the new chain; T coalesced into its parent with the guest writing to the new
/// leaf; the design's tracker fed with the leaf's physical size before and after.
extension GCWorker {
  /// Starts a round on a leaf of `leafSize` bytes.
  func startRound(
    leafSize: UInt64, _ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>
  ) {
    leaf!.sizeBefore = leafSize
    leaf!.roundStarted = sim.now
    mode = .snapshotting
    pool.host.smlog("Single-snapshotting \(target)", at: sim.now)
    // xapi's `VDI.snapshot` call, then an SM snapshot like any other: it takes the SR lock.
    GCCostCharging.spend(daemon.settings.costs.xapiCall, then: .snapshotCall, self, daemon, &pool, &sim)
  }

  /// The leaf's tapdisk is paused (or the leaf is not attached): `SR.snapshot(.internal)`, then the
  /// tapdisk reopens on the new chain.
  func internalSnapshot(
    vdi: Int?, _ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>
  )
    throws
  {
    let host = pool.host
    if let vdi { try pool.tapdisks[vdi].chain.close() }
    host.sr.stamps.unixTime = SimulatedWallClock.unixTime(at: sim.now)
    var outcome: LeafOutcome?
    do {
      let path = try host.sr.record(target).path
      let made = try host.sr.snapshot(target, kind: .internal)
      if let base = made.baseCopy { pool.renameVolume(path, to: base.path) }
    } catch SRError.insufficientSpace {
      outcome = .noSpace
    } catch {
      outcome = .failed("\(error)")
    }
    try pool.syncPlacement()
    try host.recordState(at: sim.now)
    if let outcome { leaf!.attempt?.outcome = outcome }
    if let vdi {
      try pool.reopenChain(vdi, closeFirst: false, for: .gcWorker(id), sim: &sim)
    } else {
      afterInternalSnapshot(daemon, &pool, &sim)
    }
  }

  /// After the internal snapshot: coalesce the new hidden parent T into P (timed, guest running).
  func afterInternalSnapshot(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    // The snapshot is done: no lock while the round copies (`_snapshotCoalesce` holds none).
    pool.releaseSRLock(.gcWorker(id), sim: &sim)
    if let outcome = leaf?.attempt?.outcome, outcome != .success {
      finishLeaf(outcome, daemon, &pool, &sim)
      return
    }
    do {
      let tree = try host.sr.scanTree()
      guard let t = tree.parent(of: target), tree.isCoalesceable(t) else {
        host.smlog("The VDI appears to have been concurrently snapshotted", at: sim.now)
        finishLeaf(.abandoned, daemon, &pool, &sim)
        return
      }
      leaf!.attempt?.iterations += 1
      host.result.leaf.iterations += 1
      host.smlog("Coalescing parent \(t)", at: sim.now)
      beginCoalesce(child: t, daemon, &pool, &sim)
    } catch {
      finishLeaf(.failed("\(error)"), daemon, &pool, &sim)
    }
  }

  /// A round is over: feed the tracker, give up or go round again.
  func roundDone(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    do {
      let tree = try host.sr.scanTree()
      guard tree.isLeafCoalesceable(target), let node = tree.node(target) else {
        host.smlog("The VDI tree appears to have been altered since", at: sim.now)
        finishLeaf(.abandoned, daemon, &pool, &sim)
        return
      }
      let after = node.physicalSize
      leaf!.attempt?.leafSizes.append(after)
      let round = SnapshotCoalesceIteration(
        started: leaf!.roundStarted, coalesceStarted: coalesce.started, ended: sim.now,
        sizeBefore: leaf!.sizeBefore, sizeAfter: after, bytesCopied: coalesce.lastBytes)
      leaf!.attempt?.iterationLog.append(round)
      if let giveUp = leaf!.strategy.roundEnded(sizeBefore: leaf!.sizeBefore, sizeAfter: after) {
        for line in giveUp.log { host.smlog(line, at: sim.now) }
        finishLeaf(.gaveUp(giveUp.reason), daemon, &pool, &sim)
        return
      }
    } catch {
      finishLeaf(.failed("\(error)"), daemon, &pool, &sim)
      return
    }
    decide(daemon, &pool, &sim)
  }
}

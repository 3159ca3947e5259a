// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD

/// The mirror design's live passes (hypothetical; docs/storage-manager.md#policy-knobs): dirty-block
/// tracking on the leaf's tapdisk, full copy with the guest running, re-copies of what it dirtied, and
/// the last delta with the tapdisk paused.
extension GCWorker {
  /// Starts the live copy: dirty tracking on the leaf's tapdisk from now, then the operation's
  /// first full pass with the guest running. A leaf nobody has attached is simply copied paused.
  func startMirror(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let host = pool.host
    // A hypothetical design: it holds the SR lock for its whole job, as an implementation would
    // have to while the leaf's files are half merged with the guest running.
    mode = .mirrorCopy
    guard pool.host.lock.acquire(.gcWorker(id)) else { return }
    guard let vdi = leaf?.vdi else {
      startPausedCopy(timeout: nil, daemon, &pool, &sim)
      return
    }
    let image = pool.tapdisks[vdi].chain.leaf
    let blockBytes = UInt64(image.header?.blockSize ?? UInt32(VHDSpace.blockSize))
    let blocks = Int((image.virtualSize + blockBytes - 1) / blockBytes)
    pool.tapdisks[vdi].mirror = MirrorTracker(blocks: blocks, blockBytes: blockBytes)
    do {
      leaf!.op = try LeafCoalesceOperation(sr: host.sr, leaf: target, observer: daemon.recorder)
    } catch {
      pool.tapdisks[vdi].mirror = nil
      finishLeaf(.failed("\(error)"), daemon, &pool, &sim)
      return
    }
    leaf!.copyStarted = sim.now
    leaf!.copyTimeout = nil
    leaf!.mirrorPass = 1
    mode = .mirrorCopy
    advanceLeafCopy(daemon, &pool, &sim)
  }

  /// A live pass ended: pause for the last pass when the dirtied set is small enough (or the pass
  /// limit is reached), else re-copy the dirtied blocks with the guest still running.
  func mirrorPassEnded(_ daemon: GCDaemon, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    guard let vdi = leaf?.vdi, let op = leaf?.op, pool.tapdisks[vdi].mirror != nil else { return }
    let dirtyBytes =
      UInt64(pool.tapdisks[vdi].mirror!.count) * pool.tapdisks[vdi].mirror!.sectorsPerBlock * 512
    if leaf!.strategy.pausesForLastPass(afterPass: leaf!.mirrorPass, dirtyBytes: dirtyBytes) {
      startPausedCopy(timeout: nil, daemon, &pool, &sim)
      return
    }
    let blocks = pool.tapdisks[vdi].mirror!.take()
    leaf!.mirrorPass += 1
    do {
      try op.recopy(blocks: blocks)
    } catch {
      leafUndo(.failed("\(error)"), daemon, &pool, &sim)
      return
    }
    advanceLeafCopy(daemon, &pool, &sim)
  }
}

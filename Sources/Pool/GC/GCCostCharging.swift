// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD

/// Where a GC worker spends the fixed costs of docs/storage-manager.md#per-round-costs, and the
/// metadata reads of scans and checks it sends to the disk: one job, apart from the worker's own
/// sequencing, so each cost point's continuation reads in one place.
enum GCCostCharging {
  /// Spends `t` (a wait on the worker's timer), then goes on at `point`; a zero cost goes on at once.
  static func spend(
    _ t: SimTime, then point: GCWorker.GCCostPoint, _ w: GCWorker, _ daemon: GCDaemon,
    _ pool: inout PoolModel,
    _ sim: inout Simulator<PoolEvent>
  ) {
    if t > .zero {
      w.wait(.costSpent(point), after: t, &sim)
    } else {
      spent(point, w, daemon, &pool, &sim)
    }
  }

  /// The cost at `point` is spent: what `w` does next.
  static func spent(
    _ point: GCWorker.GCCostPoint, _ w: GCWorker, _ daemon: GCDaemon, _ pool: inout PoolModel,
    _ sim: inout Simulator<PoolEvent>
  ) {
    do {
      switch point {
      case .beforeCopy:
        // The pass's scans and the checks of child and parent, read through the disk.
        let child = w.coalesce.pendingChild
        if try !readMetadata(
          scans: GCCosts.scansPerPass, checking: [child], parent: true, w, daemon, &pool, &sim)
        {
          w.startCoalesceNow(daemon, &pool, &sim)
        }
      case .afterCopy:
        guard let op = w.coalesce.op else { return }
        w.mode = .relinkChecks
        if try !readMetadata(scans: 1, checking: [op.parent], parent: false, w, daemon, &pool, &sim) {
          w.mode = .coalescing
          w.advanceCoalesce(daemon, &pool, &sim)
        }
      case .refresh(let vdi):
        try pool.reopenChain(vdi, closeFirst: true, for: .gcWorker(w.id), sim: &sim)
      case .snapshotCall:
        // `VDI.snapshot` is an SM operation like any other: it takes the SR lock.
        guard pool.host.lock.acquire(.gcWorker(w.id)) else { return }
        w.holdingLock(daemon, &pool, &sim)
      case .snapshotPaused(let vdi):
        try w.internalSnapshot(vdi: vdi, daemon, &pool, &sim)
      case .liveStep:
        w.reopenLeaf(daemon, &pool, &sim)
      }
    } catch {
      pool.fail(error, sim: &sim)
    }
  }

  /// Sends one GC request reading the metadata `scans` scans and the checks of `checking` (and of
  /// their parents when `parent`) read (`VHDMetadataReads`). Returns false (nothing
  /// sent) when the costs do not time metadata I/O; the request's completion resumes the worker in
  /// its current mode.
  static func readMetadata(
    scans: Int, checking: [String], parent: Bool, _ w: GCWorker, _ daemon: GCDaemon, _ pool: inout PoolModel,
    _ sim: inout Simulator<PoolEvent>
  ) throws -> Bool {
    guard daemon.settings.costs.metadataIO else { return false }
    let tree = try pool.host.sr.scanTree()
    var checked: [VHDNode] = []
    for uuid in checking {
      if let n = tree.node(uuid) { checked.append(n) }
      if parent, let p = tree.parent(of: uuid), let n = tree.node(p) { checked.append(n) }
    }
    guard scans > 0 && !tree.nodes.isEmpty || !checked.isEmpty else { return false }
    try daemon.submitMetadataReads(
      w, scans: scans, of: tree.nodes, checked: checked, &pool, &sim)
    return true
  }
}

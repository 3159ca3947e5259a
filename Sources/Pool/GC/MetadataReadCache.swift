// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository

/// The physical reads of one scan of the whole SR (every VHD's footer copy and header, through the
/// placement; `VHDMetadataReads`), kept for the next scan of the same tree on the same layout.
///
/// Why: sm reads every VHD's metadata on every GC pass and several times around each coalesce
/// (docs/storage-manager.md#per-round-costs), so a fleet's GC translates O(coalesces × VHDs) ranges,
/// most of them of a tree and a layout that have not changed since the previous scan. The ops
/// depend only on each node's path and on the placement's extent maps,
/// so the same tree (`SR.treeGeneration`) and an unchanged `SRPlacement.generation` give the same
/// ops. The cache keeps the tree's number, not its nodes: holding the nodes array made the scanner
/// copy every node when it next updated the tree.
struct MetadataReadCache {
  private var tree: UInt64?
  private var generation: UInt64 = .max
  private var ops: [DiskOp] = []
  /// Scans served from the cache and scans translated (for tests).
  private(set) var hits = 0
  private(set) var misses = 0

  /// Appends the reads of one scan of `nodes`, the nodes of the tree numbered `tree` (nil: a tree
  /// without a number, never reused), to `out`, translating them only when the tree or the layout
  /// changed since the last call.
  mutating func appendScan(
    of nodes: [VHDNode], tree: UInt64?, placement: inout SRPlacement, to out: inout [DiskOp]
  ) throws(PoolError) {
    if let tree, tree == self.tree, generation == placement.generation {
      hits += 1
    } else {
      misses += 1
      ops.removeAll(keepingCapacity: true)
      self.tree = nil
      try Self.append(nodes, .scan, placement: &placement, to: &ops)
      self.tree = tree
      generation = placement.generation
    }
    out.append(contentsOf: ops)
  }

  /// Appends the reads `kind` makes of each of `nodes` to `out`, reading the nodes in place
  /// (copying each node's strings was a tenth of a large fleet's run).
  static func append(
    _ nodes: [VHDNode], _ kind: VHDMetadataReads.Kind, placement: inout SRPlacement, to out: inout [DiskOp]
  ) throws(PoolError) {
    let count = nodes.count
    for i in 0..<count {
      guard let volume = placement.volume(named: nodes[i].path) else { continue }
      try VHDMetadataReads.forEachRange(
        kind, virtualSize: nodes[i].virtualSize, physicalSize: nodes[i].physicalSize
      ) {
        offset, length throws(PoolError) in
        try placement.translate(volume: volume, offset: offset, length: length, isWrite: false, into: &out)
      }
    }
  }
}

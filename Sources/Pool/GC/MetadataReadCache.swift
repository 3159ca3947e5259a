// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository

/// The physical reads of one scan of the whole SR (every VHD's footer copy and header, through the
/// placement; `VHDMetadataReads`), kept for the next scan of the same VHDs on the same layout.
///
/// Why: sm reads every VHD's metadata on every GC pass and several times around each coalesce
/// (docs/storage-manager.md#per-round-costs), so a fleet's GC translates O(coalesces × VHDs) ranges.
/// A scan reads the first 1,536 bytes of each file or LV, so its ops depend only on the nodes'
/// paths, in order, and on where each volume's first extent lies: the same paths and an unchanged
/// `SRPlacement.headGeneration` give the same ops, however the VHDs grew in between (keying on the
/// tree's number missed on nearly every scan, since some leaf had always grown). The cache keeps
/// the paths, not the nodes: holding the nodes array made the scanner copy every node when it next
/// updated the tree.
struct MetadataReadCache {
  private var paths: [String] = []
  private var headGeneration: UInt64?
  private var ops: [DiskOp] = []
  /// Scans served from the cache and scans translated (for tests).
  private(set) var hits = 0
  private(set) var misses = 0

  /// Appends the reads of one scan of `nodes` to `out`, translating them only when the paths or the
  /// volumes' first extents changed since the last call.
  mutating func appendScan(of nodes: [VHDNode], placement: inout SRPlacement, to out: inout [DiskOp])
    throws(PoolError)
  {
    // A scan's read must stay inside the first extent for `headGeneration` to cover it.
    let headOnly = VHDMetadataReads.scanLength <= placement.extentSize
    if headOnly, headGeneration == placement.headGeneration, samePaths(nodes) {
      hits += 1
    } else {
      misses += 1
      ops.removeAll(keepingCapacity: true)
      headGeneration = nil
      try Self.append(nodes, .scan, placement: &placement, to: &ops)
      paths = nodes.map(\.path)
      if headOnly { headGeneration = placement.headGeneration }
    }
    out.append(contentsOf: ops)
  }

  /// Whether `nodes` have the kept paths, in the same order (reading the nodes in place).
  private func samePaths(_ nodes: [VHDNode]) -> Bool {
    guard nodes.count == paths.count else { return false }
    for i in 0..<paths.count where nodes[i].path != paths[i] { return false }
    return true
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

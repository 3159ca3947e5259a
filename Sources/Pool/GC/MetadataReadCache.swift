// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository

/// The physical reads of one scan of the whole SR (every VHD's footer copy and header, through the
/// placement; `VHDMetadataReads`), kept per node for the next scan.
///
/// Why: sm reads every VHD's metadata on every GC pass and several times around each coalesce
/// (docs/storage-manager.md#per-round-costs), so a fleet's GC translates O(coalesces × VHDs) ranges.
/// A scan reads the first 1,536 bytes of each file or LV, so a node's reads depend only on which
/// volume its path names and where that volume's first extent lies. Each kept node carries its
/// volume's index and `SRPlacement.headStamp`, which changes whenever either could have changed
/// (attach, rename, remove, extent 0 allocated or freed), so a node read again under the same path
/// reuses its ops without a lookup, however the VHDs grew; only the nodes that came, or whose
/// volume's head changed, are translated. Keying the whole scan on the SR-wide `headGeneration`
/// missed at nearly every scan of a fleet, since between two GC passes some volume had always come
/// or gone. The cache keeps the paths, not the nodes: holding the nodes array made the scanner copy
/// every node when it next updated the tree.
struct MetadataReadCache {
  /// One node of the last scan: its path, its volume (−1: none) and that volume's head stamp when
  /// translated (with no volume, the SR's `headGeneration`), and where its ops are in `ops`.
  private struct Entry {
    var path: String
    var volume: Int32
    var stamp: UInt64
    var opStart: Int32
    var opCount: Int32
  }
  private var entries: [Entry] = []
  private var ops: [DiskOp] = []
  /// The next scan's entries and ops are built here, then swapped in (no allocation per scan).
  private var nextEntries: [Entry] = []
  private var nextOps: [DiskOp] = []
  /// Scans whose every node was reused, scans that translated some, and the nodes translated (tests).
  private(set) var hits = 0
  private(set) var misses = 0
  private(set) var translatedNodes = 0

  /// Appends the reads of one scan of `nodes` to `out`, translating only the nodes that are new
  /// since the last call or whose volume's first extent may have moved.
  mutating func appendScan(of nodes: [VHDNode], placement: inout SRPlacement, to out: inout [DiskOp])
    throws(PoolError)
  {
    // A scan's read must stay inside the first extent for the head stamps to cover it.
    let headOnly = VHDMetadataReads.scanLength <= placement.extentSize
    // Nodes and entries are read in place: copying a node or an entry retains its strings.
    let old = entries
    let reusedAll =
      headOnly && nodes.count == old.count
      && nodes.withUnsafeBufferPointer { nodes in
        old.withUnsafeBufferPointer { old in
          (0..<nodes.count).allSatisfy {
            nodes[$0].path == old[$0].path && Self.stillReads(old[$0], placement)
          }
        }
      }
    if reusedAll {
      hits += 1
      out.append(contentsOf: ops)
      return
    }
    nextEntries.removeAll(keepingCapacity: true)
    nextOps.removeAll(keepingCapacity: true)
    var translated = 0
    try nodes.withUnsafeBufferPointer { (nodes) throws(PoolError) in
      try old.withUnsafeBufferPointer { (old) throws(PoolError) in
        var j = 0
        for i in 0..<nodes.count {
          // Nodes come in path order in a scan's tree: kept entries sorting before this node are
          // gone. (In any other order a node is only translated again, never given another's reads.)
          while j < old.count && old[j].path != nodes[i].path && old[j].path < nodes[i].path { j += 1 }
          let start = Int32(nextOps.count)
          let same = j < old.count && old[j].path == nodes[i].path
          if same && headOnly && Self.stillReads(old[j], placement) {
            nextOps.append(contentsOf: ops[Int(old[j].opStart)..<Int(old[j].opStart + old[j].opCount)])
            nextEntries.append(
              Entry(
                path: old[j].path, volume: old[j].volume, stamp: old[j].stamp, opStart: start,
                opCount: old[j].opCount))
            j += 1
            continue
          }
          if same { j += 1 }
          translated += 1
          let volume = try Self.append(nodes[i], .scan, placement: &placement, to: &nextOps)
          nextEntries.append(
            Entry(
              path: nodes[i].path, volume: Int32(volume ?? -1),
              stamp: volume.map { placement.headStamp(volume: $0) } ?? placement.headGeneration,
              opStart: start, opCount: Int32(nextOps.count) - start))
        }
      }
    }
    swap(&entries, &nextEntries)
    swap(&ops, &nextOps)
    if translated == 0 { hits += 1 } else { misses += 1 }
    translatedNodes += translated
    out.append(contentsOf: ops)
  }

  /// Whether `entry`'s path still reads what it read when translated: its volume's head stamp is
  /// unchanged, or, for a path that had no volume, nothing was attached or renamed since (the
  /// SR-wide `headGeneration` is unchanged).
  private static func stillReads(_ entry: Entry, _ placement: SRPlacement) -> Bool {
    entry.volume >= 0
      ? placement.headStamp(volume: Int(entry.volume)) == entry.stamp
      : placement.headGeneration == entry.stamp
  }

  /// Appends the reads `kind` makes of each of `nodes` to `out`, reading the nodes in place
  /// (copying each node's strings was a tenth of a large fleet's run).
  static func append(
    _ nodes: [VHDNode], _ kind: VHDMetadataReads.Kind, placement: inout SRPlacement, to out: inout [DiskOp]
  ) throws(PoolError) {
    for i in 0..<nodes.count { try append(nodes[i], kind, placement: &placement, to: &out) }
  }

  /// The reads `kind` makes of `node`; returns its volume, nil when it has none (nothing read).
  @discardableResult
  private static func append(
    _ node: borrowing VHDNode, _ kind: VHDMetadataReads.Kind, placement: inout SRPlacement,
    to out: inout [DiskOp]
  ) throws(PoolError) -> Int? {
    guard let volume = placement.volume(named: node.path) else { return nil }
    try VHDMetadataReads.forEachRange(kind, virtualSize: node.virtualSize, physicalSize: node.physicalSize) {
      offset, length throws(PoolError) in
      try placement.translate(volume: volume, offset: offset, length: length, isWrite: false, into: &out)
    }
    return volume
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// The forest of VHD nodes of one SR, linked by parent uuid as the GC links them
/// (docs/storage-manager.md#scan-and-tree). Nodes keep discovery (scan) order, because the GC's
/// candidate order within one tree height is scan order.
public struct VHDTree: Equatable, Sendable {
  /// Every node, in discovery order.
  public internal(set) var nodes: [VHDNode]
  /// Root uuids, in discovery order (`vdiTrees`).
  public internal(set) var roots: [String]
  /// Each node's position in `nodes`, by uuid.
  var index: [String: Int]
  /// Each node's linked parent's position in `nodes`, −1 for a root (an orphan included): kept
  /// with the links so that depths, roots and heights are integer walks, not a hash of a
  /// 36-character uuid per level (the pool asks every attached VDI's depth after each SR
  /// operation, the GC every candidate's tree height at each plan).
  var parentPositions: [Int]
  /// Children uuids in discovery order, by parent uuid (no entry for a leaf).
  var childIndex: [String: [String]]
  /// The nodes linked as roots because the parent their file names is not in the tree (force
  /// mode, `OLD_` leaves), with that parent's uuid, so that the tree can link them again if it
  /// comes (`VHDTree+Update`).
  var orphans: [String: String]

  /// Links `nodes` by parent uuid. A missing parent is a hard error, as in the GC, unless
  /// `orphansAsRoots` (force mode) or the orphan's uuid starts with `OLD_` (left by a leaf coalesce).
  public init(nodes: [VHDNode], orphansAsRoots: Bool = false) throws(SRError) {
    var index: [String: Int] = [:]
    for (i, node) in nodes.enumerated() { index[node.uuid] = i }
    var children: [String: [String]] = [:]
    var roots: [String] = []
    var orphans: [String: String] = [:]
    var linked = nodes
    var parentPositions = [Int](repeating: -1, count: nodes.count)
    for (i, node) in nodes.enumerated() {
      guard let parent = node.parent else {
        roots.append(node.uuid)
        continue
      }
      guard let p = index[parent] else {
        guard orphansAsRoots || node.uuid.hasPrefix("OLD_") else { throw .missingParent(node: node.uuid) }
        linked[i].parent = nil
        orphans[node.uuid] = parent
        roots.append(node.uuid)
        continue
      }
      parentPositions[i] = p
      children[parent, default: []].append(node.uuid)
    }
    self.nodes = linked
    self.parentPositions = parentPositions
    self.roots = roots
    self.index = index
    self.childIndex = children
    self.orphans = orphans
  }

  public func node(_ uuid: String) -> VHDNode? { index[uuid].map { nodes[$0] } }

  /// Children in discovery order.
  public func children(of uuid: String) -> [String] { childIndex[uuid] ?? [] }

  public func parent(of uuid: String) -> String? { node(uuid)?.parent }

  public func isLeaf(_ uuid: String) -> Bool { children(of: uuid).isEmpty }

  /// Chain depth as `vhd-util query -d` counts it: nodes from `uuid` to its root, itself included.
  public func depth(of uuid: String) -> Int {
    // By position, without copying each node on the way (the pool asks after every SR operation).
    guard var p = index[uuid] else { return 0 }
    var depth = 1
    while parentPositions[p] >= 0 {
      depth += 1
      p = parentPositions[p]
    }
    return depth
  }

  /// The root of the tree `uuid` belongs to.
  public func root(of uuid: String) -> String {
    guard let p = index[uuid] else { return uuid }
    return nodes[treeRootPosition(of: p)].uuid
  }

  /// The position of the root of the tree the node at `position` belongs to.
  func treeRootPosition(of position: Int) -> Int {
    var p = position
    while parentPositions[p] >= 0 { p = parentPositions[p] }
    return p
  }

  /// Height of the subtree at `uuid`, a leaf counting 1 (`getTreeHeight`).
  public func height(of uuid: String) -> Int {
    1 + (children(of: uuid).map { height(of: $0) }.max() ?? 0)
  }
}

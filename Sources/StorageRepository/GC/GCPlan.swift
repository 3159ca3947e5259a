// SPDX-License-Identifier: GPL-3.0-or-later

/// What one GC iteration would do (docs/storage-manager.md#gc-loop step 4,
/// docs/storage-manager.md#candidate-order): delete all garbage, else coalesce the first
/// fitting non-leaf candidate, else leaf-coalesce the first fitting leaf candidate. Planning only;
/// the coalesce and leaf-coalesce step machines and the GC daemon in simulated time build on it.
public struct GCPlan: Equatable, Sendable {
  /// Every garbage node, post-order (children before parents).
  public var garbage: [String]
  /// Non-leaf candidates in the policy's order.
  public var coalesceable: [String]
  /// Leaf candidates in discovery order (the GC does not sort them).
  public var leafCoalesceable: [String]

  public init(garbage: [String], coalesceable: [String], leafCoalesceable: [String]) {
    self.garbage = garbage
    self.coalesceable = coalesceable
    self.leafCoalesceable = leafCoalesceable
  }

  /// Whether the GC would find work (ignoring space and missing block info).
  public var hasWork: Bool { !garbage.isEmpty || !coalesceable.isEmpty || !leafCoalesceable.isEmpty }

  /// Plans `tree`. `failed` are this GC process's `_failedCoalesceTargets`; `leafExcluded` are leaves
  /// the GC skips for their VDI settings (on-boot=reset, allow_caching, `leaf-coalesce=false`).
  public init(
    tree: VHDTree, policy: GCPolicy = .xcp, relinkProtected: Set<String> = [], failed: Set<String> = [],
    leafExcluded: Set<String> = []
  ) {
    let links = VHDTreeLinks(tree)
    garbage = tree.garbage(links, relinkProtected: relinkProtected, policy: policy)
    guard policy.coalesce else {
      coalesceable = []
      leafCoalesceable = []
      return
    }
    // By position, reading the nodes in place (see `VHDTreeLinks`).
    var found: [String] = []
    var leaves: [String] = []
    tree.nodes.withUnsafeBufferPointer { nodes in
      for i in nodes.indices where links.parent[i] >= 0 {
        let siblings = links.children(of: links.parent[i]).count
        let children = links.children(of: i).count
        if VHDTree.coalesceable(nodes[i], siblings: siblings, children: children) {
          if failed.isEmpty || !failed.contains(nodes[i].uuid) { found.append(nodes[i].uuid) }
        } else if policy.leafCoalesce
          && VHDTree.leafCoalesceable(nodes[i], siblings: siblings, children: children)
        {
          let uuid = nodes[i].uuid
          if (failed.isEmpty || !failed.contains(uuid))
            && (leafExcluded.isEmpty || !leafExcluded.contains(uuid))
          {
            leaves.append(uuid)
          }
        }
      }
    }
    coalesceable = Self.order(found, in: tree, by: policy.candidateOrder, links: links)
    leafCoalesceable = leaves
  }

  /// Orders non-leaf candidates. Tallest-tree-first groups by the height of the candidate's whole
  /// tree (the root's subtree), tallest first, keeping scan order within a height.
  public static func order(_ candidates: [String], in tree: VHDTree, by order: GCPolicy.CandidateOrder)
    -> [String]
  {
    Self.order(candidates, in: tree, by: order, links: nil)
  }

  static func order(
    _ candidates: [String], in tree: VHDTree, by order: GCPolicy.CandidateOrder, links: VHDTreeLinks?
  ) -> [String] {
    let keyed = candidates.enumerated().map { (offset: $0.offset, uuid: $0.element) }
    switch order {
    case .discovery:
      return candidates
    case .tallestTreeFirst:
      // Heights by position, each subtree's once (a pool's trees share nothing, but every
      // candidate of one tree asks for that tree's height).
      let links = links ?? VHDTreeLinks(tree)
      var heights = [Int](repeating: 0, count: tree.nodes.count)
      func height(_ p: Int) -> Int {
        if heights[p] == 0 { heights[p] = 1 + (links.children(of: p).lazy.map(height).max() ?? 0) }
        return heights[p]
      }
      let treeHeight = candidates.map { height(tree.treeRootPosition(of: tree.index[$0]!)) }
      return keyed.sorted {
        let (a, b) = (treeHeight[$0.offset], treeHeight[$1.offset])
        return a != b ? a > b : $0.offset < $1.offset
      }.map(\.uuid)
    case .smallestFirst:
      return keyed.sorted {
        let (a, b) = (tree.node($0.uuid)!.allocatedBlocks, tree.node($1.uuid)!.allocatedBlocks)
        return a != b ? a < b : $0.offset < $1.offset
      }.map(\.uuid)
    }
  }

  /// The first candidate whose extra space (docs/storage-manager.md#coalesce-space) fits in
  /// `freeSpace`, as `findCoalesceable` and `findLeafCoalesceable` pick; the candidates that did
  /// not fit feed the `SM_GC_NO_SPACE` message.
  public static func firstFitting(
    _ candidates: [String], freeSpace: UInt64, extraSpace: (String) throws -> UInt64
  ) rethrows -> (chosen: String?, lackingSpace: [String]) {
    var lacking: [String] = []
    for c in candidates {
      if try extraSpace(c) <= freeSpace { return (c, lacking) }
      lacking.append(c)
    }
    return (nil, lacking)
  }
}

extension SR {
  /// Plans the SR as it is on storage: a fresh scan, with `relinkProtected` taken from the
  /// persisted `relink` journals (a coalesced C may still be open in a tapdisk until its former
  /// children are refreshed, so it is not garbage yet).
  public func plan(policy: GCPolicy = .xcp, failed: Set<String> = [], leafExcluded: Set<String> = [])
    throws(SRError) -> GCPlan
  {
    let tree = try scanTree()
    let relinking = Set(try journals.entries(.relink).keys)
    return GCPlan(
      tree: tree, policy: policy, relinkProtected: relinking, failed: failed, leafExcluded: leafExcluded)
  }
}

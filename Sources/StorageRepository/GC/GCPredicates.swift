// SPDX-License-Identifier: GPL-3.0-or-later

/// The exact predicates of `cleanup.VDI` (docs/storage-manager.md#predicates) on a scanned tree.
/// Kept separate from ordering so each can be tested on hand-built trees.
extension VHDTree {
  /// `isCoalesceable`: merge this hidden interior node into its parent. The parent must have only
  /// this child; how many children the node itself has does not matter (a base copy with two
  /// leaves can still be merged upward).
  public func isCoalesceable(_ uuid: String) -> Bool {
    guard let n = node(uuid), let p = n.parent else { return false }
    return Self.coalesceable(n, siblings: children(of: p).count, children: children(of: uuid).count)
  }

  /// `isLeafCoalesceable`: a visible leaf that is its parent's only child. A clone or snapshot
  /// sharing the parent blocks it.
  public func isLeafCoalesceable(_ uuid: String) -> Bool {
    guard let n = node(uuid), let p = n.parent else { return false }
    return Self.leafCoalesceable(n, siblings: children(of: p).count, children: children(of: uuid).count)
  }

  /// The `isCoalesceable` rule for a node with a parent, given the parent's child count
  /// (`siblings`, itself included) and its own.
  static func coalesceable(_ n: VHDNode, siblings: Int, children: Int) -> Bool {
    !n.scanError && siblings == 1 && n.hidden && children > 0
  }

  /// The `isLeafCoalesceable` rule for a node with a parent, counted as for `coalesceable`.
  static func leafCoalesceable(_ n: VHDNode, siblings: Int, children: Int) -> Bool {
    !n.scanError && siblings == 1 && !n.hidden && children == 0
  }

  /// `getAllPrunable` from every root, post-order: hidden leaves (unless a pending relink journal
  /// protects them, since a tapdisk may still have the file open), and interior nodes all of whose
  /// children are garbage. `relinkProtected` is where the journal layer plugs in.
  public func garbage(relinkProtected: Set<String> = [], policy: GCPolicy = .xcp) -> [String] {
    garbage(VHDTreeLinks(self), relinkProtected: relinkProtected, policy: policy)
  }

  /// `garbage` through links already built.
  func garbage(_ links: VHDTreeLinks, relinkProtected: Set<String>, policy: GCPolicy) -> [String] {
    var out: [String] = []
    nodes.withUnsafeBufferPointer { nodes in
      for root in links.roots {
        _ = Self.prunable(root, nodes, links, relinkProtected, policy, into: &out)
      }
    }
    return out
  }

  /// Whether the node at `i` is garbage; appends every garbage node of its subtree to `out`.
  private static func prunable(
    _ i: Int, _ nodes: UnsafeBufferPointer<VHDNode>, _ links: VHDTreeLinks, _ relinkProtected: Set<String>,
    _ policy: GCPolicy, into out: inout [String]
  ) -> Bool {
    if links.children(of: i).isEmpty {
      guard nodes[i].hidden, !nodes[i].scanError,
        relinkProtected.isEmpty || !relinkProtected.contains(nodes[i].uuid)
      else { return false }
      out.append(nodes[i].uuid)
      return true
    }
    var all = true
    for child in links.children(of: i) where !prunable(child, nodes, links, relinkProtected, policy, into: &out) {
      all = false
    }
    guard all, !nodes[i].scanError, nodes[i].hidden || !policy.interiorGarbageMustBeHidden else {
      return false
    }
    out.append(nodes[i].uuid)
    return true
  }
}

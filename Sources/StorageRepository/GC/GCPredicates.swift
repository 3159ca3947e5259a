// SPDX-License-Identifier: GPL-3.0-or-later

/// The exact predicates of `cleanup.VDI` (docs/storage-manager.md#predicates) on a scanned tree.
/// Kept separate from ordering so each can be tested on hand-built trees.
extension VHDTree {
  /// `isCoalesceable`: merge this hidden interior node into its parent. The parent must have only
  /// this child; how many children the node itself has does not matter (a base copy with two
  /// leaves can still be merged upward).
  public func isCoalesceable(_ uuid: String) -> Bool {
    guard let n = node(uuid), !n.scanError, let p = n.parent else { return false }
    return children(of: p).count == 1 && n.hidden && !children(of: uuid).isEmpty
  }

  /// `isLeafCoalesceable`: a visible leaf that is its parent's only child. A clone or snapshot
  /// sharing the parent blocks it.
  public func isLeafCoalesceable(_ uuid: String) -> Bool {
    guard let n = node(uuid), !n.scanError, let p = n.parent else { return false }
    return children(of: p).count == 1 && !n.hidden && children(of: uuid).isEmpty
  }

  /// `getAllPrunable` from every root, post-order: hidden leaves (unless a pending relink journal
  /// protects them, since a tapdisk may still have the file open), and interior nodes all of whose
  /// children are garbage. `relinkProtected` is where the journal layer plugs in.
  public func garbage(relinkProtected: Set<String> = [], policy: GCPolicy = .xcp) -> [String] {
    var out: [String] = []
    for root in roots { _ = prunable(root, relinkProtected, policy, into: &out) }
    return out
  }

  /// Whether `uuid` is garbage; appends every garbage node of its subtree to `out`.
  private func prunable(
    _ uuid: String, _ relinkProtected: Set<String>, _ policy: GCPolicy, into out: inout [String]
  ) -> Bool {
    let n = node(uuid)!
    let kids = children(of: uuid)
    if kids.isEmpty {
      guard !relinkProtected.contains(uuid), !n.scanError, n.hidden else { return false }
      out.append(uuid)
      return true
    }
    var all = true
    for child in kids where !prunable(child, relinkProtected, policy, into: &out) { all = false }
    guard all, !n.scanError, n.hidden || !policy.interiorGarbageMustBeHidden else { return false }
    out.append(uuid)
    return true
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// A tree's links by position in `nodes`: each node's parent and children (discovery order), and
/// the roots, built in one pass with one lookup per linked node.
///
/// Why: planning a GC iteration asks every node for its parent's and its own children, and walks
/// every tree for garbage; by uuid each question was a hash of a 36-character string and a copy of
/// the node, about a fifth of a 200-VM month. The answers are the same: children and roots are
/// the tree's own lists, in their order.
struct VHDTreeLinks {
  /// Parent position, −1 for a root (an orphan included: the tree links it as a root).
  let parent: [Int]
  /// Child positions in discovery order.
  let children: [[Int]]
  /// Root positions in discovery order.
  let roots: [Int]

  init(_ tree: VHDTree) {
    var parent = [Int](repeating: -1, count: tree.nodes.count)
    var children = [[Int]](repeating: [], count: tree.nodes.count)
    for (uuid, kids) in tree.childIndex {
      guard let p = tree.index[uuid] else { continue }
      children[p] = kids.compactMap { tree.index[$0] }
      for c in children[p] { parent[c] = p }
    }
    self.parent = parent
    self.children = children
    roots = tree.roots.compactMap { tree.index[$0] }
  }
}

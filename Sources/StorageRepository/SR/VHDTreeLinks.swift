// SPDX-License-Identifier: GPL-3.0-or-later

/// A tree's links by position in `nodes`: each node's parent and children (discovery order), and
/// the roots, built in one pass over the tree's parent positions without a lookup.
///
/// Why: planning a GC iteration asks every node for its parent's and its own children, and walks
/// every tree for garbage; by uuid each question was a hash of a 36-character string and a copy of
/// the node, about a fifth of a 200-VM month. The answers are the same: the tree keeps every
/// child list and its roots in position order (`VHDTree.init`, `VHDTree+Update`'s `link`), and a
/// node is a root exactly when its linked `parent` is nil (an orphan's is cleared), so walking the
/// nodes in order rebuilds both lists without reading the tree's dictionaries.
struct VHDTreeLinks {
  /// Parent position, −1 for a root (an orphan included: the tree links it as a root).
  let parent: [Int]
  /// Child positions in discovery order.
  let children: [[Int]]
  /// Root positions in discovery order.
  let roots: [Int]

  init(_ tree: VHDTree) {
    let count = tree.nodes.count
    let parent = tree.parentPositions
    var children = [[Int]](repeating: [], count: count)
    var roots: [Int] = []
    for i in 0..<count {
      let p = parent[i]
      if p >= 0 { children[p].append(i) } else { roots.append(i) }
    }
    self.parent = parent
    self.children = children
    self.roots = roots
  }
}

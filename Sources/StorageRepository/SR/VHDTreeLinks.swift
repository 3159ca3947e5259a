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
///
/// The child lists share one array (each node's a slice of it, by a start index per node), so a
/// plan's links cost four allocations (starts, a cursor over them, the list, the roots) however many
/// nodes the tree has, not one per parent.
struct VHDTreeLinks {
  /// Parent position, −1 for a root (an orphan included: the tree links it as a root).
  let parent: [Int]
  /// Root positions in discovery order.
  let roots: [Int]
  /// Every node's children, node after node; node i's are `childList[childStart[i]..<childStart[i + 1]]`.
  private let childStart: [Int]
  private let childList: [Int]

  init(_ tree: VHDTree) {
    let count = tree.nodes.count
    let parent = tree.parentPositions
    // Counted per parent, then placed in position order: each list keeps discovery order.
    var start = [Int](repeating: 0, count: count + 1)
    var rootCount = 0
    for p in parent { if p >= 0 { start[p + 1] += 1 } else { rootCount += 1 } }
    for i in 0..<count { start[i + 1] += start[i] }
    var next = start
    var list = [Int](repeating: 0, count: start[count])
    var roots: [Int] = []
    roots.reserveCapacity(rootCount)
    for i in 0..<count {
      let p = parent[i]
      if p >= 0 {
        list[next[p]] = i
        next[p] += 1
      } else {
        roots.append(i)
      }
    }
    self.parent = parent
    self.roots = roots
    childStart = start
    childList = list
  }

  /// Node `i`'s child positions in discovery order.
  func children(of i: Int) -> ArraySlice<Int> { childList[childStart[i]..<childStart[i + 1]] }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// Taking in what changed in the folder since a scan (docs/storage-manager.md#scan-and-tree), so
/// that a snapshot, delete or coalesce step costs the scan the names it touched, not the SR's
/// nodes. Only for trees whose nodes are in path order with distinct paths (a scan's: one folder,
/// listed sorted); the result is the tree `init(nodes:orphansAsRoots:)` builds from the same nodes
/// in the same order: same positions, links, child and root order, orphans. Each change costs
/// O(log N) lookups, O(children) for its parent's list and one pass of integer shifts over the
/// positions; nothing is hashed or compared per node.
extension VHDTree {
  /// Drops the node `uuid` (its file is gone); its children become orphans until it comes back.
  mutating func remove(_ uuid: String) {
    guard let p = index[uuid] else { return }
    unlink(uuid, linkedParent: nodes[p].parent)
    orphans[uuid] = nil
    for child in childIndex.removeValue(forKey: uuid) ?? [] {
      guard let c = index[child] else { continue }
      nodes[c].parent = nil
      parentPositions[c] = -1
      orphans[child] = uuid
      insertRoot(child)
    }
    nodes.remove(at: p)
    parentPositions.remove(at: p)
    index[uuid] = nil
    shiftPositions(from: p, by: -1)
  }

  /// Adds `node` (as a scan read it: `parent` is the uuid its file names) at its place in path
  /// order, or replaces the node of that uuid, relinking it when its parent changed. Returns
  /// whether the tree changed: a node read back as the tree holds it (a leaf written within its
  /// blocks) is left alone, without writing to the nodes.
  @discardableResult
  mutating func upsert(_ node: VHDNode) -> Bool {
    if let p = index[node.uuid] {
      let linked = nodes[p].parent
      if (orphans[node.uuid] ?? linked) == node.parent {
        var kept = node
        kept.parent = linked
        if nodes[p] == kept { return false }
        nodes[p] = kept
        return true
      }
      unlink(node.uuid, linkedParent: linked)
      orphans[node.uuid] = nil
      nodes[p] = node
      link(at: p)
      return true
    }
    let p = insertionPosition(of: node.path)
    shiftPositions(from: p, by: 1)
    nodes.insert(node, at: p)
    parentPositions.insert(-1, at: p)
    index[node.uuid] = p
    link(at: p)
    adoptOrphans(of: node.uuid)
    return true
  }

  /// Whether the tree is one `init(nodes:orphansAsRoots:)` builds rather than refuses: no orphan
  /// but `OLD_` ones unless `orphansAsRoots`.
  func isComplete(orphansAsRoots: Bool) -> Bool {
    orphansAsRoots || orphans.keys.allSatisfy { $0.hasPrefix("OLD_") }
  }

  /// Links the node at `p` under the parent its `parent` names: a root when it names none, an
  /// orphan (a root, remembered) when that parent is not in the tree.
  private mutating func link(at p: Int) {
    let uuid = nodes[p].uuid
    parentPositions[p] = -1
    guard let parent = nodes[p].parent else { return insertRoot(uuid) }
    guard let parentPosition = index[parent] else {
      nodes[p].parent = nil
      orphans[uuid] = parent
      return insertRoot(uuid)
    }
    parentPositions[p] = parentPosition
    var children = childIndex.removeValue(forKey: parent) ?? []
    let k = children.firstIndex { index[$0]! > p } ?? children.count
    children.insert(uuid, at: k)
    childIndex[parent] = children
  }

  /// Takes `uuid` out of its parent's children, or out of the roots when `linkedParent` is nil.
  private mutating func unlink(_ uuid: String, linkedParent: String?) {
    guard let parent = linkedParent else {
      let k = rootPosition(of: index[uuid]!)
      if k < roots.count, roots[k] == uuid { roots.remove(at: k) }
      return
    }
    guard var children = childIndex.removeValue(forKey: parent) else { return }
    children.removeAll { $0 == uuid }
    if !children.isEmpty { childIndex[parent] = children }
  }

  /// Links the orphans whose file names `uuid` as their parent under it, now that it is here.
  private mutating func adoptOrphans(of uuid: String) {
    guard !orphans.isEmpty else { return }
    for (child, parent) in orphans where parent == uuid {
      unlink(child, linkedParent: nil)
      orphans[child] = nil
      let c = index[child]!
      nodes[c].parent = uuid
      link(at: c)
    }
  }

  private mutating func insertRoot(_ uuid: String) {
    roots.insert(uuid, at: rootPosition(of: index[uuid]!))
  }

  /// Where a node at position `position` stands among the roots (binary search: roots are in
  /// position order).
  private func rootPosition(of position: Int) -> Int {
    var (low, high) = (0, roots.count)
    while low < high {
      let mid = (low + high) / 2
      if index[roots[mid]]! < position { low = mid + 1 } else { high = mid }
    }
    return low
  }

  /// The first position whose node's path sorts after `path` (binary search).
  private func insertionPosition(of path: String) -> Int {
    var (low, high) = (0, nodes.count)
    while low < high {
      let mid = (low + high) / 2
      if nodes[mid].path < path { low = mid + 1 } else { high = mid }
    }
    return low
  }

  /// Adds `delta` to every position at or after `from`, in place (no hashing): the index's and the
  /// parent positions'. A removal shifts after the removed node's children were unlinked, so no
  /// parent position names it.
  private mutating func shiftPositions(from: Int, by delta: Int) {
    var i = index.values.startIndex
    while i != index.values.endIndex {
      if index.values[i] >= from { index.values[i] += delta }
      i = index.values.index(after: i)
    }
    for k in parentPositions.indices where parentPositions[k] >= from { parentPositions[k] += delta }
  }
}

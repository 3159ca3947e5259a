// SPDX-License-Identifier: GPL-3.0-or-later

/// The last tree `SRTreeScanner` built in one mode (docs/storage-manager.md#scan-and-tree), with
/// the storage's generations then and what each node rests on, so that the next scan reads again
/// only the nodes whose file, name or parent changed since.
struct SRTreeCache {
  /// The storage's namespace and content generations the tree is right for.
  var namespace: UInt64
  var generation: UInt64
  var tree: VHDTree
  /// The tree's nodes that the scan cache does not hold (unreadable, orphaned `OLD_` leaves): a
  /// scan reads them again every time.
  private(set) var uncached: Set<String> = []
  /// The tree's node paths by the canonical path of the parent they were resolved through: each
  /// was reused only while that parent was there.
  private var dependents: [String: Set<String>] = [:]
  private var parentKeys: [String: String] = [:]

  init(namespace: UInt64, generation: UInt64, tree: VHDTree) {
    self.namespace = namespace
    self.generation = generation
    self.tree = tree
  }

  /// Notes how the node at `path` was just read into the tree: through the parent at `parentKey`
  /// (canonical), and whether the scan cache kept it.
  mutating func noteRead(_ path: String, parentKey: String?, cached: Bool) {
    if cached { uncached.remove(path) } else { uncached.insert(path) }
    guard parentKeys[path] != parentKey else { return }
    forgetParent(of: path)
    if let parentKey {
      parentKeys[path] = parentKey
      dependents[parentKey, default: []].insert(path)
    }
  }

  /// Notes that the node at `path` left the tree.
  mutating func noteGone(_ path: String) {
    uncached.remove(path)
    forgetParent(of: path)
  }

  /// The tree's nodes resolved through a parent at `path` (canonical).
  func dependents(of path: String) -> Set<String> { dependents[path] ?? [] }

  private mutating func forgetParent(of path: String) {
    guard let old = parentKeys.removeValue(forKey: path) else { return }
    dependents[old]?.remove(path)
    if dependents[old]?.isEmpty == true { dependents[old] = nil }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

import Synchronization
import VHD

/// Numbers the trees of every scanner in the process: a tree keeps its number until a scan
/// replaces, inserts or drops a node of it, so two scans returning the same number returned the
/// same tree.
private let treeNumbers = Atomic<UInt64>(0)

/// Builds the SR's VHD tree from its node files (docs/storage-manager.md#scan-and-tree) and keeps
/// what the last scan read and the last tree, so the next scan re-reads only the files and names
/// the storage says changed (`Storage.contentChanges`, `namespaceChanges`) and updates that tree
/// with them (`VHDTree+Update`). The SR owns one and asks it for every tree (`SR.scanTree`); it
/// knows the SR's folder and kind, nothing of its records.
final class SRTreeScanner {
  let storage: any Storage
  let directory: String
  let kind: SRKind
  let engineOptions: EngineOptions
  /// What the scans read from each node file, by path, with the file's content generation: a file
  /// that has not changed since is not read again while the parent it resolved to is there.
  var scanCache: [String: (generation: UInt64, node: VHDNode, parentPath: String?, parentKey: String?)] = [:]
  /// The last tree of each mode (`orphansAsRoots`): the GC's scans and a coalesce's relink scans
  /// (force mode) alternate, and each keeps its own.
  var treeCaches: [Bool: SRTreeCache] = [:]
  /// Scans answered by updating the last tree rather than reading the folder (tests, profiles).
  private(set) var updates = 0
  /// The number of the tree each mode's last scan returned (see `treeNumbers`).
  private(set) var treeGenerations: [Bool: UInt64] = [:]

  init(storage: any Storage, directory: String, kind: SRKind, engineOptions: EngineOptions) {
    self.storage = storage
    self.directory = directory
    self.kind = kind
    self.engineOptions = engineOptions
  }

  /// The SR's VHD tree from its files (docs/storage-manager.md#scan-and-tree): every node name of
  /// this SR's kind in the folder, parents resolved through the locators. A node the engine cannot
  /// open is kept with `scanError`; a parent outside the SR is `.missingParent` unless
  /// `orphansAsRoots` (force mode).
  func tree(orphansAsRoots: Bool) throws(SRError) -> VHDTree {
    // The last tree stays right for every node whose file did not change and whose parent's name
    // did not come or go since, so when the storage can say which files and names changed, only
    // those nodes are read again and put into the tree (a snapshot, delete or coalesce step
    // touches a handful of names, not the SR's nodes). Otherwise the folder is read afresh.
    let namespace = storage.namespaceGeneration()
    // The cache lets go of the tree first, so updating it does not copy every node.
    if var cache = treeCaches.removeValue(forKey: orphansAsRoots), let namespace,
      let changes = storage.contentChanges(since: cache.generation),
      let names = namespace == cache.namespace ? [] : storage.namespaceChanges(since: cache.namespace),
      update(&cache, changed: changes.paths, names: names, orphansAsRoots: orphansAsRoots)
    {
      cache.namespace = namespace
      cache.generation = changes.now
      treeCaches[orphansAsRoots] = cache
      updates += 1
      return cache.tree
    }
    newTree(orphansAsRoots)
    return try fullScan(orphansAsRoots: orphansAsRoots, namespace: namespace)
  }

  /// The tree of this mode changed (or may have): it gets a number no tree had before.
  private func newTree(_ orphansAsRoots: Bool) {
    treeGenerations[orphansAsRoots] = treeNumbers.add(1, ordering: .relaxed).newValue
  }

  /// Every node name in the folder, read (or reused from `scanCache`) in listing order.
  private func fullScan(orphansAsRoots: Bool, namespace: UInt64?) throws(SRError) -> VHDTree {
    let generation = storage.contentChanges(since: .max)?.now
    let names = try SRError.engine(directory) { try storage.list(directory: directory) }
    var nodes: [VHDNode] = []
    var reads: [(path: String, parentKey: String?)] = []
    for name in names {
      guard let uuid = kind.uuid(ofNodeName: name) else { continue }
      let path = VHDPath.join(directory, name)
      // Names may now stand for other files (a rename, the leaf swap): each file is judged by its
      // own generation, which no other file ever had.
      let read = readNode(uuid: uuid, path: path)
      nodes.append(read.node)
      reads.append((path, read.parentKey))
    }
    if scanCache.count > reads.count {
      let seen = Set(reads.map(\.path))
      scanCache = scanCache.filter { seen.contains($0.key) }
    }
    let tree = try VHDTree(nodes: nodes, orphansAsRoots: orphansAsRoots)
    // Updates insert by path, so only a tree in path order can be updated.
    let inPathOrder = zip(nodes, nodes.dropFirst()).allSatisfy { $0.path < $1.path }
    if let namespace, let generation, inPathOrder, storage.canonicalPath(directory) == directory {
      var cache = SRTreeCache(namespace: namespace, generation: generation, tree: tree)
      for read in reads {
        cache.noteRead(read.path, parentKey: read.parentKey, cached: scanCache[read.path] != nil)
      }
      treeCaches[orphansAsRoots] = cache
    }
    return tree
  }

  /// Reads the nodes at the `changed` files and `names` again into `cache`, or drops them when
  /// gone, making its tree the one a full scan would build now; false when the full scan must
  /// decide (a subfolder's names changed, or a node lost its parent and only a full scan raises
  /// that error).
  private func update(
    _ next: inout SRTreeCache, changed: Set<String>, names: Set<String>, orphansAsRoots: Bool
  )
    -> Bool
  {
    var affected = next.uncached
    for path in names where VHDPath.isNested(path, below: directory) { return false }
    for path in changed.union(names) where VHDPath.directory(path) == directory {
      if kind.uuid(ofNodeName: VHDPath.basename(path)) != nil { affected.insert(path) }
    }
    // A node was reused only while the parent it resolved to was there.
    for path in names { affected.formUnion(next.dependents(of: path)) }
    var changed = false
    for path in affected.sorted() {
      guard let uuid = kind.uuid(ofNodeName: VHDPath.basename(path)) else { continue }
      if storage.exists(path) {
        let read = readNode(uuid: uuid, path: path)
        if next.tree.upsert(read.node) { changed = true }
        next.noteRead(path, parentKey: read.parentKey, cached: scanCache[path] != nil)
      } else {
        next.tree.remove(uuid)
        changed = true
        scanCache[path] = nil
        next.noteGone(path)
      }
    }
    if changed { newTree(orphansAsRoots) }
    return next.tree.isComplete(orphansAsRoots: orphansAsRoots)
  }

  /// One node as a scan sees it, with the canonical path of the parent it was resolved through:
  /// read from its file, or reused when the file has not changed since the last read (and that
  /// parent is still there).
  private func readNode(uuid: String, path: String) -> (node: VHDNode, parentKey: String?) {
    let generation = storage.contentGeneration(path)
    if let generation, let c = scanCache[path], c.generation == generation,
      c.parentPath.map({ storage.exists($0) }) ?? true
    {
      return (c.node, c.parentKey)
    }
    var node = VHDNode(uuid: uuid, path: path)
    do {
      let image = try VHDImage.open(path, storage: storage, writable: false, options: engineOptions)
      node.hidden = image.isHidden
      node.virtualSize = image.virtualSize
      node.physicalSize = image.device.length
      node.allocatedBlocks = image.allocatedBlockCount
      var parentPath: String?
      if image.format == .differencing {
        // An `OLD_` leaf left by a leaf coalesce points at a parent that was renamed away: it is
        // an orphan (a root, docs/storage-manager.md#scan-and-tree), not a scan error, so the GC
        // can delete it as garbage.
        if uuid.hasPrefix("OLD_"), (try? VHDChain.resolveParent(of: image, storage: storage)) == nil {
          node.parent = "missing-parent-of-" + uuid
          scanCache[path] = nil
          return (node, nil)
        }
        let resolved = try VHDChain.resolveParent(of: image, storage: storage)
        parentPath = resolved
        let parentName = VHDPath.basename(resolved)
        node.parent = kind.uuid(ofNodeName: parentName) ?? parentName
        if VHDPath.directory(storage.canonicalPath(resolved)) != directory { node.parent = resolved }
      }
      let parentKey = parentPath.map { storage.canonicalPath($0) }
      if let generation { scanCache[path] = (generation, node, parentPath, parentKey) }
      return (node, parentKey)
    } catch {
      node.scanError = true
      scanCache[path] = nil
      return (node, nil)
    }
  }
}

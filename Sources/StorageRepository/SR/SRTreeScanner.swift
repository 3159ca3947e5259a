// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// Builds the SR's VHD tree from its node files (docs/storage-manager.md#scan-and-tree) and keeps
/// what the last scan read, so the next one re-reads only the files the storage says changed
/// (`Storage.contentGeneration`, `contentChanges`). The SR owns one and asks it for every tree
/// (`SR.scanTree`); it knows the SR's folder and kind, nothing of its records.
final class SRTreeScanner {
  let storage: any Storage
  let directory: String
  let kind: SRKind
  let engineOptions: EngineOptions
  /// What the last scan read from each node file, by path, with the file's content generation
  /// (storages that have one): unchanged files are not re-read.
  var scanCache: [String: (generation: UInt64, node: VHDNode, parentPath: String?)] = [:]
  /// The last tree `tree` built, with the storage's namespace and content generations then.
  var treeCache: TreeCache?

  /// The last scan: the storage's namespace and content generations then, and the tree.
  struct TreeCache {
    var namespace: UInt64
    var generation: UInt64
    var orphansAsRoots: Bool
    var tree: VHDTree
  }

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
    // What the last scan saw stays right for every node whose file did not change since, so only
    // changed, new and orphaned nodes are read again (a GC scan of a big SR between two steps of one
    // coalesce touches a handful of files, not all of them). Storages that cannot say what changed
    // are read afresh every time.
    let namespace = storage.namespaceGeneration()
    if var next = treeCache, next.orphansAsRoots == orphansAsRoots, let namespace,
      let changes = storage.contentChanges(since: next.generation),
      namespace == next.namespace || holdsSameNodeFiles(as: next.tree, changed: changes.paths)
    {
      // Same names: refresh the changed nodes in place when their links held. The cache lets go of
      // the tree first, so refreshing does not copy every node.
      treeCache = nil
      var linksKept = true
      for path in changes.paths.sorted() where VHDPath.directory(path) == directory {
        guard let uuid = kind.uuid(ofNodeName: VHDPath.basename(path)) else { continue }
        let node = readNode(uuid: uuid, path: path)
        if !next.tree.refresh(node) {
          linksKept = false
          break
        }
      }
      if linksKept {
        next.generation = changes.now
        next.namespace = namespace
        treeCache = next
        return next.tree
      }
    }
    let generation = storage.contentChanges(since: .max)?.now
    let names = try SRError.engine(directory) { try storage.list(directory: directory) }
    var nodes: [VHDNode] = []
    var seen = Set<String>()
    for name in names {
      guard let uuid = kind.uuid(ofNodeName: name) else { continue }
      let path = VHDPath.join(directory, name)
      seen.insert(path)
      // Names may now stand for other files (a rename, the leaf swap): each file is judged by its
      // own generation, which no other file ever had.
      nodes.append(readNode(uuid: uuid, path: path))
    }
    if scanCache.count > seen.count { scanCache = scanCache.filter { seen.contains($0.key) } }
    let tree = try VHDTree(nodes: nodes, orphansAsRoots: orphansAsRoots)
    if let namespace, let generation {
      treeCache = TreeCache(
        namespace: namespace, generation: generation, orphansAsRoots: orphansAsRoots, tree: tree)
    }
    return tree
  }

  /// Whether the folder's names changed only outside the nodes (a journal came or went): the same
  /// node names in the same order as `tree`, and at each the file the last scan read there, unchanged
  /// since or listed in `changed` (and so read again). A full scan would then reuse every other node
  /// as it stands, so refreshing the changed ones gives the same tree without touching them all.
  private func holdsSameNodeFiles(as tree: VHDTree, changed: Set<String>) -> Bool {
    guard let names = try? storage.list(directory: directory) else { return false }
    var k = 0
    for name in names where kind.uuid(ofNodeName: name) != nil {
      guard k < tree.nodes.count else { return false }
      let path = tree.nodes[k].path
      k += 1
      guard VHDPath.basename(path) == name, let cached = scanCache[path] else { return false }
      if !changed.contains(path) && storage.contentGeneration(path) != cached.generation { return false }
      // A parent that is not one of the folder's nodes can go without their names changing.
      if let parent = cached.parentPath,
        VHDPath.directory(storage.canonicalPath(parent)) != directory
          || kind.uuid(ofNodeName: VHDPath.basename(parent)) == nil,
        !storage.exists(parent)
      {
        return false
      }
    }
    return k == tree.nodes.count
  }

  /// One node as a scan sees it: read from its file, or reused when the file has not changed since
  /// the last read (and its parent is still there).
  private func readNode(uuid: String, path: String) -> VHDNode {
    let generation = storage.contentGeneration(path)
    if let generation, let c = scanCache[path], c.generation == generation,
      c.parentPath.map({ storage.exists($0) }) ?? true
    {
      return c.node
    }
    var node = VHDNode(uuid: uuid, path: path)
    var parentPath: String?
    do {
      let image = try VHDImage.open(path, storage: storage, writable: false, options: engineOptions)
      node.hidden = image.isHidden
      node.virtualSize = image.virtualSize
      node.physicalSize = image.device.length
      node.allocatedBlocks = image.allocatedBlockCount
      if image.format == .differencing {
        // An `OLD_` leaf left by a leaf coalesce points at a parent that was renamed away: it is
        // an orphan (a root, docs/storage-manager.md#scan-and-tree), not a scan error, so the GC
        // can delete it as garbage.
        if uuid.hasPrefix("OLD_"), (try? VHDChain.resolveParent(of: image, storage: storage)) == nil {
          node.parent = "missing-parent-of-" + uuid
          scanCache[path] = nil
          return node
        }
        let resolved = try VHDChain.resolveParent(of: image, storage: storage)
        parentPath = resolved
        let parentName = VHDPath.basename(resolved)
        node.parent = kind.uuid(ofNodeName: parentName) ?? parentName
        if VHDPath.directory(storage.canonicalPath(resolved)) != directory { node.parent = resolved }
      }
      if let generation { scanCache[path] = (generation, node, parentPath) }
    } catch {
      node.scanError = true
      scanCache[path] = nil
    }
    return node
  }
}

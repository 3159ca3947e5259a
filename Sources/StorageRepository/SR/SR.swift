// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// A storage repository as XCP's storage manager sees it: a folder of VHD nodes in a `Storage`
/// (one `<uuid>.vhd` file per node on a file SR, one `VHD-<uuid>` LV per node on an LVM SR,
/// modelled as a file plus the LV size the storage manager gave it), the xapi VDI records, and the
/// attach bookkeeping. Like the GC, every question scans the files and links parents through the
/// engine's locators, so what the SR reports is what is on disk; a scan only skips re-reading files
/// the storage says have not changed since the last one (`Storage.contentGeneration`).
///
/// The SR knows nothing about time. Journals and crash recovery (`journals`, `recover`, `reopen`),
/// the coalesce and leaf-coalesce step machines and the synchronous `GarbageCollector` are layered
/// on top; a host's timed GC daemon drives the same step machines.
public final class SR {
  public let storage: any Storage
  /// The SR's folder (`/run/sr-mount/<sr>` or `VG_XenStorage-<sr>`).
  public let directory: String
  public let kind: SRKind
  /// File SR: the file system's size. LVM SR: the VG's size.
  public let capacity: UInt64
  /// `MAX_CHAIN_SIZE`: snapshot and clone are refused at this chain depth.
  public var depthLimit: Int
  public let engineOptions: EngineOptions
  /// The host sets `stamps.unixTime`; the SR draws uuids from it.
  public var stamps: StampSequence

  /// xapi's VDI records, by uuid.
  public internal(set) var records: [String: VDIRecord] = [:]
  /// What the last scan read from each node file, by path, with the file's content generation
  /// (storages that have one): unchanged files are not re-read.
  var scanCache: [String: (generation: UInt64, node: VHDNode, parentPath: String?)] = [:]
  /// The last tree `scanTree` built, with the storage's namespace and content generations then.
  var treeCache: TreeCache?

  /// The last scan: the storage's namespace and content generations then, and the tree.
  struct TreeCache {
    var namespace: UInt64
    var generation: UInt64
    var orphansAsRoots: Bool
    var tree: VHDTree
  }
  /// Journal entry names in the folder, with the storage's namespace generation they were read at.
  var journalNameCache: (generation: UInt64, names: [String])?
  /// LVM SR: each node's LV size, by uuid (empty on a file SR).
  public internal(set) var lvSizes: [String: UInt64] = [:]
  /// Plugged VBDs, by VDI uuid.
  public internal(set) var attachments: [String: Attachment] = [:]
  /// SR `virtual_allocation`: adjusted by ± virtual size on create, delete and snapshot, reset by `scan`.
  public internal(set) var virtualAllocation: UInt64 = 0
  /// What the last `reopen` found and did (one line per recovery action).
  public internal(set) var recoveryLog: [String] = []

  public init(
    storage: any Storage, directory: String, kind: SRKind, capacity: UInt64,
    depthLimit: Int = VHDLimits.maximumChainDepth, engineOptions: EngineOptions = .init(),
    stamps: StampSequence = .init()
  ) {
    self.storage = storage
    self.directory = storage.canonicalPath(directory)
    self.kind = kind
    self.capacity = capacity
    self.depthLimit = depthLimit
    self.engineOptions = engineOptions
    self.stamps = stamps
  }

  /// Path of the node named by `uuid`.
  public func path(of uuid: String) -> String { VHDPath.join(directory, kind.nodeName(uuid)) }

  /// The record of `uuid`, or `.noSuchVDI`.
  public func record(_ uuid: String) throws(SRError) -> VDIRecord {
    guard let r = records[uuid] else { throw .noSuchVDI(uuid) }
    return r
  }

  /// Whether the VDI has any plugged VBD.
  public func isAttached(_ uuid: String) -> Bool { !(attachments[uuid]?.isEmpty ?? true) }

  /// A fresh uuid for a new node.
  func newUUID() -> (uuid: String, stamp: CreationStamp) {
    let stamp = stamps.next()
    return (stamp.uuid.description, stamp)
  }

  /// Creates a new empty VDI (`vdi_create`): a dynamic VHD, its LV thick (fully inflated) or thin
  /// (8 MiB) on LVM, and its record.
  @discardableResult
  public func createVDI(nameLabel: String, virtualSize: UInt64) throws(SRError) -> VDIRecord {
    let (uuid, stamp) = newUUID()
    let path = path(of: uuid)
    let size = VHDSpace.roundUp(virtualSize, VHDSpace.blockSize)
    let need: UInt64
    switch kind {
    case .file: need = VHDSpace.overheadEmpty(virtualSize: size)
    case .lvm(.thick): need = VHDSpace.fullyInflatedLVSize(virtualSize: size)
    case .lvm(.thin): need = VHDSpace.thinLVSize
    }
    let free = try freeSpace()
    guard need <= free else { throw .insufficientSpace(needed: need, free: free) }
    let image = try SRError.engine(path) {
      try VHDImage.createDynamic(path, size: size, storage: storage, stamp: stamp, options: engineOptions)
    }
    try SRError.engine(path) { try image.close() }
    if case .lvm = kind { lvSizes[uuid] = need }
    let record = VDIRecord(uuid: uuid, nameLabel: nameLabel, path: path)
    records[uuid] = record
    virtualAllocation += image.virtualSize
    return record
  }

  /// The SR's VHD tree from its files (docs/storage-manager.md#scan-and-tree): every node name of
  /// this SR's kind in the folder, parents resolved through the locators. A node the engine cannot
  /// open is kept with `scanError`; a parent outside the SR is `.missingParent` unless
  /// `orphansAsRoots` (force mode).
  public func scanTree(orphansAsRoots: Bool = false) throws(SRError) -> VHDTree {
    // What the last scan saw stays right for every node whose file did not change since, so only
    // changed, new and orphaned nodes are read again (a GC scan of a big SR between two steps of one
    // coalesce touches a handful of files, not all of them). Storages that cannot say what changed
    // are read afresh every time.
    let namespace = storage.namespaceGeneration()
    if var next = treeCache, next.orphansAsRoots == orphansAsRoots, namespace == next.namespace,
      let changes = storage.contentChanges(since: next.generation)
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

  /// `sr_scan`: the tree, and `virtual_allocation` recomputed as the storage manager does (file
  /// SR: virtual sizes of visible nodes; LVM: LV sizes of visible nodes).
  @discardableResult
  public func scan() throws(SRError) -> VHDTree {
    let tree = try scanTree()
    var total: UInt64 = 0
    for n in tree.nodes where !n.hidden && !n.scanError {
      switch kind {
      case .file: total += n.virtualSize
      case .lvm: total += lvSizes[n.uuid] ?? 0
      }
    }
    virtualAllocation = total
    return tree
  }
}

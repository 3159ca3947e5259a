// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// A storage repository as XCP's storage manager sees it: a folder of VHD nodes in a `Storage`
/// (one `<uuid>.vhd` file per node on a file SR, one `VHD-<uuid>` LV per node on an LVM SR,
/// modelled as a file plus the LV size the storage manager gave it), the xapi VDI records, and the
/// attach bookkeeping. Like the GC, every question scans the files and links parents through the
/// engine's locators, so what the SR reports is what is on disk; a scan only skips re-reading files
/// the storage says have not changed since the last one (`Storage.contentGeneration`).
///
/// `SR` is the VDI-level API (create, snapshot, clone, delete, attach, records, scan). Its other
/// jobs are types of their own, so each can be read and changed alone: the tree scan and its cache
/// (`SRTreeScanner`), space accounting (`space`), LV sizing (`lvm`), the journals (`journals`) and
/// crash recovery (`recovery`, `recover`, `reopen`).
///
/// The SR knows nothing about time. The coalesce and leaf-coalesce step machines and the
/// synchronous `GarbageCollector` are layered on top; a host's timed GC daemon drives the same step
/// machines.
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
  /// Reads the node files into the tree, keeping what it read between scans.
  let scanner: SRTreeScanner
  /// The journals in the SR folder.
  public private(set) lazy var journals = SRJournals(sr: self)
  /// LVM SR: each node's LV size, by uuid (empty on a file SR).
  public internal(set) var lvSizes = LVSizes()
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
    scanner = SRTreeScanner(
      storage: storage, directory: self.directory, kind: kind, engineOptions: engineOptions)
  }

  /// Space accounting: what the SR reports and what the GC and snapshots test against.
  public var space: SRSpace { SRSpace(sr: self) }
  /// LV inflate, deflate and sizes (nothing on a file SR).
  var lvm: LVMSizing { LVMSizing(sr: self) }
  /// Undoing or finishing interrupted operations from the journals.
  var recovery: SRRecovery { SRRecovery(sr: self) }

  /// Path of the node named by `uuid`.
  public func path(of uuid: String) -> String { VHDPath.join(directory, kind.nodeName(uuid)) }

  /// The record of `uuid`, or `.noSuchVDI`.
  public func record(_ uuid: String) throws(SRError) -> VDIRecord {
    guard let r = records[uuid] else { throw .noSuchVDI(uuid) }
    return r
  }

  /// Whether the VDI has any plugged VBD.
  public func isAttached(_ uuid: String) -> Bool { !(attachments[uuid]?.isEmpty ?? true) }

  /// Names in the SR folder; an SR folder that does not exist yet is empty.
  func folderNames() throws(SRError) -> [String] {
    do { return try storage.list(directory: directory) } catch let e as StorageError where e.code == .notFound
    {
      return []
    } catch {
      return try SRError.engine(directory) { () throws -> [String] in throw error }
    }
  }

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
    let free = try space.freeSpace()
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
  /// `orphansAsRoots` (force mode). Only files changed since the last scan are read again
  /// (`SRTreeScanner`).
  public func scanTree(orphansAsRoots: Bool = false) throws(SRError) -> VHDTree {
    try scanner.tree(orphansAsRoots: orphansAsRoots)
  }

  /// A number standing for the tree the last `scanTree` of this mode returned: equal numbers,
  /// equal trees (any SR, any scan), so a consumer can keep what it derived from a tree without
  /// comparing or holding its nodes. Nil before the first scan of the mode.
  public func treeGeneration(orphansAsRoots: Bool = false) -> UInt64? {
    scanner.treeGenerations[orphansAsRoots]
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

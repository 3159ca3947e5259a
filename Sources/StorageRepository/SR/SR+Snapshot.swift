// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// What a snapshot or clone leaves behind.
public struct SnapshotResult: Equatable, Sendable {
  /// The VDI that was snapshotted: same uuid and path, now a fresh leaf.
  public var vdi: VDIRecord
  /// The second leaf (the snapshot, or the clone); nil for single and internal snapshots.
  public var snapshot: VDIRecord?
  /// The hidden, read-only, unmanaged base copy; nil when the empty-parent skip made it unused and
  /// it was removed.
  public var baseCopy: VDIRecord?
}

/// `vdi_snapshot` and `vdi_clone` as the storage manager does them
/// (docs/storage-manager.md#lvm-snapshot, docs/storage-manager.md#file-sr-snapshot,
/// docs/storage-manager.md#snapshot-space).
extension SR {
  /// Snapshots `uuid`. Double (the default) leaves the VDI and the snapshot as two leaves of a hidden
  /// base copy; single and internal leave only the VDI under it.
  @discardableResult
  public func snapshot(_ uuid: String, kind snapshotKind: SnapshotKind = .double) throws(SRError)
    -> SnapshotResult
  {
    try makeSnapshot(uuid, kind: snapshotKind, cloneOp: false)
  }

  /// A snapshot whose new leaves link to the base copy even when it is empty (`vhd-util snapshot -e`).
  /// sm never asks for it — its snapshots skip empty parents (docs/vhd-format.md#snapshot-target) — so
  /// it serves only to build a study's chain with empty levels (`ChainSpec.build(in:nameLabel:)`).
  @discardableResult
  public func snapshotKeepingEmptyParents(_ uuid: String, kind snapshotKind: SnapshotKind) throws(SRError)
    -> SnapshotResult
  {
    try makeSnapshot(uuid, kind: snapshotKind, cloneOp: false, keepEmptyParents: true)
  }

  /// Clones `uuid`: always double, and the second leaf is an ordinary VDI, not a snapshot.
  @discardableResult
  public func clone(_ uuid: String) throws(SRError) -> SnapshotResult {
    try makeSnapshot(uuid, kind: .double, cloneOp: true)
  }

  /// LVM space requirement (docs/storage-manager.md#snapshot-space): sizes of the continuing and
  /// second leaves, two journal LVs, less what deflating the original (to become the base) gives
  /// back.
  func lvmSnapshotSizes(_ record: VDIRecord, kind snapshotKind: SnapshotKind, cloneOp: Bool, thick: Bool)
    throws(SRError) -> (continuing: UInt64, second: UInt64, need: UInt64)
  {
    let virtualSize = try SRError.engine(record.path) {
      try VHDImage.open(record.path, storage: storage, options: engineOptions).virtualSize
    }
    let full = VHDSpace.fullyInflatedLVSize(virtualSize: virtualSize)
    let thin = VHDSpace.thinLVSize
    var continuing = thin
    if !cloneOp && isAttached(record.uuid) { continuing = full }
    if thick && !record.isSnapshot { continuing = full }
    let second: UInt64 = snapshotKind.createsSecondLeaf ? (thick && cloneOp ? full : thin) : 0
    let lv = lvSizes[record.uuid] ?? 0
    let deflated = VHDSpace.lvSize(try space.fileSize(record.path))
    let giveBack = lv > deflated ? lv - deflated : 0
    let gross = continuing + second + 2 * VHDSpace.journalLVSize
    return (continuing, second, gross > giveBack ? gross - giveBack : 0)
  }

  func makeSnapshot(
    _ uuid: String, kind snapshotKind: SnapshotKind, cloneOp: Bool, keepEmptyParents: Bool = false
  )
    throws(SRError) -> SnapshotResult
  {
    let linking = VHDSnapshot.Options(skipEmptyParents: !keepEmptyParents)
    var original = try record(uuid)
    guard !original.hidden else { throw .hiddenVDI(uuid) }
    let tree = try scanTree()
    let depth = tree.depth(of: uuid)
    guard depth < depthLimit else { throw .chainTooLong(uuid: uuid, depth: depth, limit: depthLimit) }
    let virtualSize = tree.node(uuid)?.virtualSize ?? 0

    // Space check before anything is touched.
    var lvm: (continuing: UInt64, second: UInt64)?
    let free = try space.freeSpace()
    switch kind {
    case .file:
      let need = VHDSpace.overheadEmpty(virtualSize: virtualSize) * (snapshotKind.createsSecondLeaf ? 2 : 1)
      guard need <= free else { throw .insufficientSpace(needed: need, free: free) }
    case .lvm(let provisioning):
      let s = try lvmSnapshotSizes(
        original, kind: snapshotKind, cloneOp: cloneOp, thick: provisioning == .thick)
      guard s.need <= free else { throw .insufficientSpace(needed: s.need, free: free) }
      lvm = (s.continuing, s.second)
    }

    // Every uuid is drawn first so the `clone` journal can name them all
    // (docs/storage-manager.md#lvm-snapshot, step 2).
    let (baseUUID, _) = newUUID()
    let basePath = path(of: baseUUID)
    let (_, leafStamp) = newUUID()
    let secondStamp = snapshotKind.createsSecondLeaf ? newUUID() : nil
    try journals.add(
      .clone, key: uuid,
      value: Self.cloneJournalValue(base: baseUUID, second: secondStamp?.uuid, cloneOp: cloneOp))

    // The original node becomes the base copy (renamed; deflated on LVM).
    let originalPhysical = try space.fileSize(original.path)
    try SRError.engine(basePath) { try storage.rename(original.path, to: basePath) }
    if lvm != nil {
      lvSizes[uuid] = nil
      lvSizes[baseUUID] = VHDSpace.lvSize(originalPhysical)
    }

    // Leaf #1 keeps the VDI's uuid and path; leaf #2 gets a fresh uuid.
    let linked = try SRError.engine(original.path) {
      try VHDSnapshot.create(
        childPath: original.path, parentPath: basePath, storage: storage, options: linking, stamp: leafStamp,
        engine: engineOptions)
    }
    try SRError.engine(original.path) { try linked.child.close() }
    if let lvm { lvSizes[uuid] = lvm.continuing }
    var second: VDIRecord?
    if let (secondUUID, stamp) = secondStamp {
      let secondPath = path(of: secondUUID)
      let made = try SRError.engine(secondPath) {
        try VHDSnapshot.create(
          childPath: secondPath, parentPath: basePath, storage: storage, options: linking, stamp: stamp,
          engine: engineOptions)
      }
      try SRError.engine(secondPath) { try made.child.close() }
      if let lvm { lvSizes[secondUUID] = lvm.second }
      let r = VDIRecord(
        uuid: secondUUID, nameLabel: original.nameLabel, isSnapshot: !cloneOp, path: secondPath)
      records[secondUUID] = r
      second = r
    }

    // Empty-parent skip: a base neither leaf links to is removed at once; otherwise it is hidden
    // only now that both children exist (earlier, the GC could take it).
    var base: VDIRecord?
    if storage.canonicalPath(linked.parentPath) != storage.canonicalPath(basePath) {
      try SRError.engine(basePath) { try storage.remove(basePath) }
      lvSizes[baseUUID] = nil
    } else {
      try SRError.engine(basePath) {
        let image = try VHDImage.open(basePath, storage: storage, writable: true, options: engineOptions)
        try image.setHidden(true)
        try image.close()
      }
      let r = VDIRecord(
        uuid: baseUUID, nameLabel: VDIRecord.baseCopyLabel, managed: false, hidden: true, readOnly: true,
        path: basePath)
      records[baseUUID] = r
      base = r
    }

    // Attachments stay with the VDI's uuid; the virtual allocation grows by the new visible VDI.
    original.readOnly = false
    records[uuid] = original
    if snapshotKind != .internal { virtualAllocation += virtualSize }
    // Records are in place before the journal goes, so a crash in between needs no repair.
    try journals.remove(.clone, key: uuid)
    return SnapshotResult(vdi: original, snapshot: second, baseCopy: base)
  }

  /// Value of the `clone` journal: `<base>_<second>` (second empty for single and internal
  /// snapshots), `_clone` appended for `vdi_clone` so a completed clone gets the right record.
  static func cloneJournalValue(base: String, second: String?, cloneOp: Bool) -> String {
    "\(base)_\(second ?? "")" + (cloneOp ? "_clone" : "")
  }

  /// Parses a `clone` journal value; nil when it is not one.
  static func parseCloneJournalValue(_ value: String) -> (base: String, second: String?, cloneOp: Bool)? {
    let parts = value.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 2 || (parts.count == 3 && parts[2] == "clone"), !parts[0].isEmpty else { return nil }
    return (parts[0], parts[1].isEmpty ? nil : parts[1], parts.count == 3)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// Growing a node's virtual size (docs/storage-manager.md#parent-growth): `VDI._increaseSizeVirt`,
/// which both coalesce paths call on the parent before copying a larger child into it, and
/// `vdi_resize`. The storage manager takes `vhd-util resize -f` (footers only) when the BAT has a
/// slot for every new block, else the journaled `vhd-util resize -j`; the undo journal is the file
/// `<uuid>` in the SR folder (file SR) or the LV `jvhd_<uuid>` (LVM), reverted on the next attach.
struct VirtualSizeGrowth {
  let sr: SR

  static let lvmJournalPrefix = "jvhd_"

  /// The undo journal of a journaled grow of node `uuid`.
  func journalPath(_ uuid: String) -> String {
    switch sr.kind {
    case .file: VHDPath.join(sr.directory, uuid)
    case .lvm: VHDPath.join(sr.directory, Self.lvmJournalPrefix + uuid)
    }
  }

  /// The node whose grow journal `name` (an SR folder entry) is, or nil.
  func journaledNode(ofEntry name: String) -> String? {
    switch sr.kind {
    case .file:
      return sr.storage.exists(sr.path(of: name)) && !name.contains(".") ? name : nil
    case .lvm:
      guard name.hasPrefix(Self.lvmJournalPrefix) else { return nil }
      return String(name.dropFirst(Self.lvmJournalPrefix.count))
    }
  }

  /// Ensures node `uuid` has a virtual size of at least `size`; returns whether it grew. On LVM
  /// the LV first grows to hold the grown file (`lvhdutil.inflate`, journaled): nothing more than
  /// that, since the storage manager's LVHD files have their metadata preallocated for 2 TiB and
  /// grow in place (docs/storage-manager.md#parent-growth). `storage` (default the SR's) lets a
  /// caller observe the grow's I/O.
  @discardableResult
  func increase(_ uuid: String, to size: UInt64, storage: (any Storage)? = nil) throws(SRError) -> Bool {
    let io = storage ?? sr.storage
    let path = sr.path(of: uuid)
    let (current, fast) = try SRError.engine(path) { () throws -> (UInt64, UInt64) in
      let image = try VHDImage.open(path, storage: sr.storage, options: sr.engineOptions)
      return (image.virtualSize, VHDResize.maxFastSize(of: image))
    }
    guard size > current else { return false }
    if case .lvm = sr.kind {
      let length = try SRError.engine(path) {
        try VHDResize.grownLength(path, to: size, storage: sr.storage, options: sr.engineOptions)
      }
      try sr.lvm.inflate(uuid, to: length)
    }
    try SRError.engine(path) {
      if size <= fast {
        try VHDResize.growFast(path, to: size, storage: io, options: sr.engineOptions)
      } else {
        try VHDResize.grow(path, to: size, journal: journalPath(uuid), storage: io, options: sr.engineOptions)
      }
    }
    return true
  }

  /// `_undoAllVHDJournals`: reverts every grow a crash interrupted (or drops its journal when it
  /// was cut before the file changed). On LVM a reverted hidden node's LV deflates again.
  func revertInterrupted() throws(SRError) -> [String] {
    var log: [String] = []
    for name in try sr.folderNames() {
      guard let uuid = journaledNode(ofEntry: name) else { continue }
      let (path, journal) = (sr.path(of: uuid), VHDPath.join(sr.directory, name))
      guard sr.storage.exists(path) else {
        try SRError.engine(journal) { try sr.storage.remove(journal) }
        log.append("dropped resize journal of missing \(uuid)")
        continue
      }
      let outcome = try SRError.engine(path) {
        try VHDResize.revert(path, journal: journal, storage: sr.storage)
      }
      switch outcome {
      case .reverted:
        log.append("reverted interrupted resize of \(uuid)")
        if sr.records[uuid]?.hidden ?? true { try sr.lvm.deflate(uuid) }
      case .discardedIncomplete: log.append("dropped incomplete resize journal of \(uuid)")
      case .noJournal: break
      }
    }
    return log
  }
}

extension SR {
  /// `vdi_resize` of a detached VDI: grows its virtual size to `size` (rounded up to 2 MiB);
  /// shrinking is refused. A thick LV inflates to `calcSizeVHDLV(size)` first; a thin one keeps
  /// its size unless the grown file needs more (docs/storage-manager.md#parent-growth).
  public func resize(_ uuid: String, to size: UInt64) throws(SRError) {
    let r = try record(uuid)
    guard !r.hidden else { throw .hiddenVDI(uuid) }
    guard !isAttached(uuid) else { throw .vdiInUse(uuid) }
    let path = path(of: uuid)
    let before = try SRError.engine(path) {
      try VHDImage.open(path, storage: storage, options: engineOptions).virtualSize
    }
    let target = VHDSpace.roundUp(size, VHDSpace.blockSize)
    guard target >= before else {
      throw .engine(
        VHDError(
          .invalidArgument, file: path, field: "size",
          "shrinking is not supported (\(before) → \(target) bytes)"))
    }
    if case .lvm(.thick) = kind {
      try lvm.inflate(uuid, to: VHDSpace.fullyInflatedLVSize(virtualSize: target))
    }
    try VirtualSizeGrowth(sr: self).increase(uuid, to: target)
    if case .file = kind { virtualAllocation += target - before }
  }
}

extension SR {
  /// `_increaseSizeVirt` of a coalesce's parent, with its I/O reported to `observer` at level 1
  /// (the parent's level in the copy). Returns the old and new virtual size when it grew.
  func growParent(_ parent: String, to size: UInt64, observer: (any IOObserver)?) throws(SRError)
    -> (from: UInt64, to: UInt64)?
  {
    let path = path(of: parent)
    let before = try SRError.engine(path) {
      try VHDImage.open(path, storage: storage, options: engineOptions).virtualSize
    }
    let io = observer.map { ObservedStorage(storage, observer: $0, levels: [path: 1]) }
    guard try VirtualSizeGrowth(sr: self).increase(parent, to: size, storage: io) else { return nil }
    return (before, VHDSpace.roundUp(size, VHDSpace.blockSize))
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// LVHD inflate and deflate (`lvhdutil`, docs/storage-manager.md#lvm-inflate-and-deflate) as the GC
/// and recovery use them. The SR models an LV by its size in `lvSizes`; inflating is journaled
/// (`inflate`, holding the old size) so that an interrupted one is undone on the next recovery,
/// deflating is not (safe to interrupt). It takes the SR, whose `lvSizes` it changes.
struct LVMSizing {
  let sr: SR

  /// Grows the LV of `uuid` to `calcSizeLV(size)`; nothing when it is already that big or on a
  /// file SR. Refused when the VG lacks the space.
  func inflate(_ uuid: String, to size: UInt64) throws(SRError) {
    guard case .lvm = sr.kind else { return }
    let target = VHDSpace.lvSize(size)
    let current = sr.lvSizes[uuid] ?? 0
    guard target > current else { return }
    let free = try sr.space.freeSpace()
    // The journal LV itself takes an extent while the LV grows.
    let need = target - current + VHDSpace.journalLVSize
    guard need <= free else { throw .insufficientSpace(needed: need, free: free) }
    try sr.journals.add(.inflate, key: uuid, value: String(current))
    sr.lvSizes[uuid] = target
    try sr.journals.remove(.inflate, key: uuid)
  }

  /// Shrinks the LV of `uuid` to `calcSizeLV(physical size)` (never below what the VHD holds);
  /// nothing when that would not shrink it, or on a file SR.
  func deflate(_ uuid: String) throws(SRError) {
    guard case .lvm = sr.kind, let current = sr.lvSizes[uuid] else { return }
    let target = VHDSpace.lvSize(try sr.space.fileSize(sr.path(of: uuid)))
    if target < current { sr.lvSizes[uuid] = target }
  }

  /// The fully inflated size of node `uuid` (its virtual size plus 2 TiB metadata and bitmaps).
  func fullyInflatedSize(_ uuid: String) throws(SRError) -> UInt64 {
    let p = sr.path(of: uuid)
    let virtualSize = try SRError.engine(p) {
      try VHDImage.open(p, storage: sr.storage, options: sr.engineOptions).virtualSize
    }
    return VHDSpace.fullyInflatedLVSize(virtualSize: virtualSize)
  }

  /// Moves the LV size bookkeeping with a rename of the node `from` to `to`.
  func moveSize(from: String, to: String) {
    guard case .lvm = sr.kind else { return }
    let size = sr.lvSizes[from]
    sr.lvSizes[from] = nil
    sr.lvSizes[to] = size
  }

  /// LVM: an LV exists exactly when its node does. A node without a known size gets its deflated
  /// size; sizes of nodes that are gone are dropped.
  func reconcile() throws(SRError) {
    guard case .lvm = sr.kind else { return }
    var present: Set<String> = []
    for name in try sr.folderNames() {
      guard let uuid = sr.kind.uuid(ofNodeName: name) else { continue }
      present.insert(uuid)
      if sr.lvSizes[uuid] == nil {
        sr.lvSizes[uuid] = VHDSpace.lvSize(try sr.space.fileSize(VHDPath.join(sr.directory, name)))
      }
    }
    for uuid in sr.lvSizes.sizes.keys.sorted() where !present.contains(uuid) { sr.lvSizes[uuid] = nil }
  }

  /// Inflates the LV of `uuid` fully when the VG has room; otherwise leaves it (a later attach
  /// inflates it or reports error 180).
  func inflateFullyIfPossible(_ uuid: String) throws(SRError) {
    do { try inflate(uuid, to: try fullyInflatedSize(uuid)) } catch .insufficientSpace {}
  }
}

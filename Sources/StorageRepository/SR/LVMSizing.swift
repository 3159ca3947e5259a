// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// LVHD inflate and deflate (`lvhdutil`, docs/storage-manager.md#lvm-inflate-and-deflate) as the GC
/// and recovery use them. The SR models an LV by its size in `lvSizes`; inflating is journaled
/// (`inflate`, holding the old size) so that an interrupted one is undone on the next recovery,
/// deflating is not (safe to interrupt).
extension SR {
  /// Grows the LV of `uuid` to `calcSizeLV(size)`; nothing when it is already that big or on a
  /// file SR. Refused when the VG lacks the space.
  func inflateLV(_ uuid: String, to size: UInt64) throws(SRError) {
    guard case .lvm = kind else { return }
    let target = VHDSpace.lvSize(size)
    let current = lvSizes[uuid] ?? 0
    guard target > current else { return }
    let free = try freeSpace()
    // The journal LV itself takes an extent while the LV grows.
    let need = target - current + VHDSpace.journalLVSize
    guard need <= free else { throw .insufficientSpace(needed: need, free: free) }
    try addJournal(.inflate, key: uuid, value: String(current))
    lvSizes[uuid] = target
    try removeJournal(.inflate, key: uuid)
  }

  /// Shrinks the LV of `uuid` to `calcSizeLV(physical size)` (never below what the VHD holds);
  /// nothing when that would not shrink it, or on a file SR.
  func deflateLV(_ uuid: String) throws(SRError) {
    guard case .lvm = kind, let current = lvSizes[uuid] else { return }
    let target = VHDSpace.lvSize(try fileSize(path(of: uuid)))
    if target < current { lvSizes[uuid] = target }
  }

  /// The fully inflated size of node `uuid` (its virtual size plus 2 TiB metadata and bitmaps).
  func fullyInflatedSize(_ uuid: String) throws(SRError) -> UInt64 {
    let p = path(of: uuid)
    let virtualSize = try SRError.engine(p) {
      try VHDImage.open(p, storage: storage, options: engineOptions).virtualSize
    }
    return VHDSpace.fullyInflatedLVSize(virtualSize: virtualSize)
  }

  /// Moves the LV size bookkeeping with a rename of the node `from` to `to`.
  func moveLVSize(from: String, to: String) {
    guard case .lvm = kind else { return }
    let size = lvSizes[from]
    lvSizes[from] = nil
    lvSizes[to] = size
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// The storage manager's size formulas (`vhdutil`, `lvhdutil`;
/// docs/storage-manager.md#space-formulas and the sections after it), integer for integer, so the
/// simulator's LV sizes and space refusals match what an XCP host would report.
public enum VHDSpace {
  public static let kiB: UInt64 = 1024
  public static let miB: UInt64 = 1024 * 1024
  public static let giB: UInt64 = 1024 * 1024 * 1024
  /// `VHD_BLOCK_SIZE`: the allocation unit.
  public static let blockSize: UInt64 = 2 * miB
  /// `LVM_SIZE_INCREMENT`: LVs are sized in 4 MiB extents.
  public static let lvIncrement: UInt64 = 4 * miB
  /// `MSIZE`: every LVHD VHD has metadata preallocated for 2 TiB so online resize is cheap.
  public static let metadataPreallocation: UInt64 = 2 * 1024 * giB
  /// Each LVHD journal is a small LV of this size (two are needed during a snapshot).
  public static let journalLVSize: UInt64 = 4 * miB

  static func roundUp(_ value: UInt64, _ multiple: UInt64) -> UInt64 {
    (value + multiple - 1) / multiple * multiple
  }

  /// `calcOverheadEmpty(V)`: footer, footer copy, header and locators (3 KiB), the BAT rounded to a
  /// sector, the BATmap rounded to a page. 100 GiB gives 212 KiB.
  public static func overheadEmpty(virtualSize: UInt64) -> UInt64 {
    let entries = virtualSize / miB / 2
    var overhead: UInt64 = 3 * kiB
    overhead = roundUp(overhead + 4 * entries, 512)
    overhead = roundUp(overhead + entries / 8, 4096)
    return overhead
  }

  /// `calcOverheadBitmap(V)`: 4 KiB of sector bitmap budgeted per 2 MiB block.
  public static func overheadBitmap(virtualSize: UInt64) -> UInt64 {
    (virtualSize + blockSize - 1) / blockSize * 4096
  }

  /// `calcSizeLV(s)`: round up to the 4 MiB LV increment.
  public static func lvSize(_ size: UInt64) -> UInt64 { roundUp(size, lvIncrement) }

  /// `calcSizeVHDLV(V)`: the fully inflated LV of a VHD of virtual size V (metadata for 2 TiB plus
  /// bitmaps for every block), which a writable attach needs.
  public static func fullyInflatedLVSize(virtualSize: UInt64) -> UInt64 {
    lvSize(
      virtualSize + overheadEmpty(virtualSize: metadataPreallocation)
        + overheadBitmap(virtualSize: virtualSize))
  }

  /// The LV of a new or empty VHD on a thin SR, and of a new thin leaf: 8 MiB, the "8 MB snapshot".
  public static var thinLVSize: UInt64 { lvSize(overheadEmpty(virtualSize: metadataPreallocation)) }

  /// File SR extra space for a non-leaf (and live leaf) coalesce
  /// (docs/storage-manager.md#coalesce-space): the union D of both BATs in bytes, its bitmaps, the
  /// child's empty metadata, minus what the parent already takes. Negative results mean no extra
  /// space and come back as 0.
  public static func fileCoalesceExtra(union: UInt64, childVirtualSize: UInt64, parentPhysical: UInt64)
    -> UInt64
  {
    let need = union + overheadBitmap(virtualSize: union) + overheadEmpty(virtualSize: childVirtualSize)
    return need > parentPhysical ? need - parentPhysical : 0
  }

  /// LVHD extra space for a non-leaf coalesce (docs/storage-manager.md#coalesce-space): the parent
  /// inflated to hold D, minus its LV.
  public static func lvmCoalesceExtra(union: UInt64, parentLV: UInt64) -> UInt64 {
    let need = fullyInflatedLVSize(virtualSize: union)
    return need > parentLV ? need - parentLV : 0
  }
}

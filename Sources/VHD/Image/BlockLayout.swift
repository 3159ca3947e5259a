// SPDX-License-Identifier: GPL-3.0-or-later

/// Where a sparse image's blocks sit, fixed once the image is open or created: the block and
/// bitmap sizes from the header, how many blocks the virtual size needs, and where metadata ends.
/// Kept apart from `BlockTable`, which changes with every allocation.
struct BlockLayout {
  /// Blocks in use: `ceil(current_size / block_size)` (0 for fixed and raw images).
  let blockCount: Int
  let sectorsPerBlock: Int
  let bitmapSectors: Int
  /// First sector after all metadata (header, BAT, BATmap, locators).
  let metadataEndSector: UInt64

  init(header: DynamicDiskHeader?, virtualSize: UInt64, metadataEndSector: UInt64) {
    let bs = Int(header?.blockSize ?? VHDLimits.blockSize)
    sectorsPerBlock = bs / 512
    bitmapSectors = Int(header?.bitmapSectors ?? 1)
    blockCount = header == nil ? 0 : Int((virtualSize + UInt64(bs) - 1) / UInt64(bs))
    self.metadataEndSector = metadataEndSector
  }
}

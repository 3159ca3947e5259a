// SPDX-License-Identifier: GPL-3.0-or-later

/// Where blktap puts each metadata region of a dynamic or differencing VHD
/// (docs/vhd-format.md#blktap-layout). Creating with this layout is what makes our files
/// byte-identical to `vhd-util create`/`snapshot`.
public struct BlktapLayout: Equatable, Sendable {
  /// BAT slots.
  public let maxTableEntries: UInt32
  public let tableOffset: UInt64

  public init(maxTableEntries: UInt32, tableOffset: UInt64 = 1536) {
    self.maxTableEntries = maxTableEntries
    self.tableOffset = tableOffset
  }

  /// Slots for a disk of `size` bytes: `ceil(size / 2 MiB)`.
  public init(virtualSize: UInt64) {
    let bs = UInt64(VHDLimits.blockSize)
    self.init(maxTableEntries: UInt32((virtualSize + bs - 1) / bs))
  }

  /// `pad(x) = max(512, roundup(x, 512))`.
  public static func pad(_ x: UInt64) -> UInt64 { max(512, (x + 511) / 512 * 512) }

  /// Bytes of the padded BAT.
  public var batBytes: UInt64 { Self.pad(4 * UInt64(maxTableEntries)) }
  /// `H`: the BATmap header position (implicit: right after the padded BAT).
  public var batmapHeaderOffset: UInt64 { tableOffset + batBytes }
  /// The map, right after its header.
  public var batmapOffset: UInt64 { batmapHeaderOffset + 512 }
  /// Map sectors: `max(1, ceil(ceil(N/8)/512))`.
  public var batmapSectors: UInt32 {
    let bytes = (UInt64(maxTableEntries) + 7) / 8
    return UInt32(max(1, (bytes + 511) / 512))
  }
  /// Where parent locators start (differencing disks) and, for dynamic disks, where metadata ends.
  public var locatorsOffset: UInt64 { batmapOffset + 512 * UInt64(batmapSectors) }

  /// The first block's BAT entry after metadata ending at byte `metadataEnd`: the bitmap sector E
  /// such that the data area (E + bitmap sectors) starts on a 4 KiB page
  /// (docs/vhd-format.md#block-allocation).
  public static func alignedBlockStart(afterSector end: UInt64, bitmapSectors: UInt64) -> UInt64 {
    let gap = (8 - (end + bitmapSectors) % 8) % 8
    return end + gap
  }
}

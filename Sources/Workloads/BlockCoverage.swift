// SPDX-License-Identifier: GPL-3.0-or-later

/// Which sectors of each 2 MiB VHD block have been written: the guest-side picture of the per-block
/// sector bitmaps a chain level accumulates.
///
/// A block whose bitmap is full can take the BATmap shortcut and coalesces as one copy; a block that is
/// touched but never filled keeps every read walking bitmaps down the chain. The fraction of touched
/// blocks that ended full is therefore the number to watch for fragmenting workloads.
///
/// Storage is one flat array of 64-bit words (4096 bits = 64 words = 512 bytes per block) allocated up
/// front: 256 KiB per GiB of disk, nothing per write.
public struct BlockCoverage: Sendable {
  /// Sectors per block (2 MiB / 512).
  public static let sectorsPerBlock = 4096
  static let wordsPerBlock = sectorsPerBlock / 64

  public let blocks: Int
  var words: [UInt64]
  var setBits: [UInt16]
  /// Blocks with at least one sector written.
  public private(set) var touchedBlocks = 0
  /// Blocks with every sector written.
  public private(set) var fullBlocks = 0

  /// Coverage of a disk of `sectors` sectors (rounded up to whole blocks).
  public init(diskSectors: UInt64) {
    blocks = Int((diskSectors + UInt64(Self.sectorsPerBlock) - 1) / UInt64(Self.sectorsPerBlock))
    words = [UInt64](repeating: 0, count: blocks * Self.wordsPerBlock)
    setBits = [UInt16](repeating: 0, count: blocks)
  }

  /// Marks `sectors` sectors from `lba` written (clipped to the disk).
  public mutating func recordWrite(lba: UInt64, sectors: Int) {
    var s = lba
    let end = min(lba + UInt64(max(0, sectors)), UInt64(blocks * Self.sectorsPerBlock))
    while s < end {
      let wordIndex = Int(s / 64)
      let bit = Int(s % 64)
      let n = min(64 - bit, Int(end - s))
      let mask: UInt64 = n == 64 ? ~0 : ((1 << UInt64(n)) - 1) << UInt64(bit)
      let old = words[wordIndex]
      let added = (mask & ~old).nonzeroBitCount
      if added > 0 {
        words[wordIndex] = old | mask
        let block = wordIndex / Self.wordsPerBlock
        let before = Int(setBits[block])
        let after = before + added
        setBits[block] = UInt16(after)
        if before == 0 { touchedBlocks += 1 }
        if after == Self.sectorsPerBlock { fullBlocks += 1 }
      }
      s += UInt64(n)
    }
  }

  /// Sectors written in `block`.
  public func writtenSectors(inBlock block: Int) -> Int { Int(setBits[block]) }

  /// Full blocks / touched blocks (0 when nothing was written).
  public var fullBlockFraction: Double {
    touchedBlocks == 0 ? 0 : Double(fullBlocks) / Double(touchedBlocks)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// `vhd-util check -s`: per image of a chain, sectors allocated (whole blocks in the BAT) and
/// written (bits set in the block bitmaps), and for each image below the base the written sectors
/// its parent does not have and those no ancestor has — how much a coalesce would move and how much
/// of a child is really new (docs/vhd-util-compatibility.md).
public struct CheckStatistics: Equatable, Sendable {
  public struct Image: Equatable, Sendable {
    public var path: String
    public var sectorsAllocated: UInt64 = 0
    public var sectorsWritten: UInt64 = 0
    /// Written here and not in the image listed before (its parent); nil for the first.
    public var notInParent: UInt64?
    /// Written here and in none of the images listed before (its ancestors); nil for the first.
    public var notInAncestors: UInt64?
  }

  /// The base first, then each child down to the leaf, as blktap lists them. Only dynamic and
  /// differencing images count (a fixed or raw base has no bitmaps and is left out).
  public var images: [Image]

  /// Collects the counts over `images`, given leaf first (a chain's order, or one image).
  public static func collect(_ leafFirst: [VHDImage]) throws -> CheckStatistics {
    let levels = leafFirst.reversed().filter { $0.format.isSparse }
    var out = levels.enumerated().map { i, img in
      Image(path: img.path, notInParent: i == 0 ? nil : 0, notInAncestors: i == 0 ? nil : 0)
    }
    let blocks = levels.map(\.blockCount).max() ?? 0
    var work = LevelWork()
    for block in 0..<blocks {
      var parent: [UInt8] = []
      var ancestors: [UInt8] = []
      for (i, img) in levels.enumerated() {
        var bits: [UInt8] = []
        if block < img.blockCount, img.blockEntry(block) != nil {
          out[i].sectorsAllocated += UInt64(img.sectorsPerBlock)
          let p = try img.loadBitmap(block, work: &work)
          bits = Array(UnsafeRawBufferPointer(start: p, count: img.sectorsPerBlock / 8))
        }
        out[i].sectorsWritten += popcount(bits)
        if i > 0 {
          out[i].notInParent! += popcount(bits, without: parent)
          out[i].notInAncestors! += popcount(bits, without: ancestors)
        }
        if ancestors.count < bits.count {
          ancestors += [UInt8](repeating: 0, count: bits.count - ancestors.count)
        }
        for j in bits.indices { ancestors[j] |= bits[j] }
        parent = bits
      }
    }
    return CheckStatistics(images: out)
  }

  /// Bits set in `bits` and clear in `mask` (a shorter mask is clear past its end).
  static func popcount(_ bits: [UInt8], without mask: [UInt8] = []) -> UInt64 {
    var n: UInt64 = 0
    for j in bits.indices { n += UInt64((bits[j] & ~(j < mask.count ? mask[j] : 0)).nonzeroBitCount) }
    return n
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// The blocks a running guest dirtied in its leaf while the mirror design copies that leaf into its
/// parent (QEMU's dirty bitmap in active block-commit). One bit per VHD block, allocated once when
/// the mirror starts, so marking a guest write allocates nothing.
struct MirrorTracker {
  let sectorsPerBlock: UInt64
  private var words: [UInt64]
  private(set) var count = 0

  /// A tracker for a disk of `blocks` blocks of `blockBytes` bytes.
  init(blocks: Int, blockBytes: UInt64) {
    sectorsPerBlock = Swift.max(1, blockBytes / 512)
    words = [UInt64](repeating: 0, count: (Swift.max(blocks, 1) + 63) / 64)
  }

  /// Marks every block the write of `sectors` sectors at `sector` touches.
  @inline(__always)
  mutating func mark(sector: UInt64, sectors: Int) {
    guard sectors > 0 else { return }
    let first = Int(sector / sectorsPerBlock)
    let last = Int((sector + UInt64(sectors) - 1) / sectorsPerBlock)
    for b in first...last where b >> 6 < words.count {
      let bit = UInt64(1) << UInt64(b & 63)
      if words[b >> 6] & bit == 0 {
        words[b >> 6] |= bit
        count += 1
      }
    }
  }

  /// The dirty blocks in ascending order; clears them for the next pass.
  mutating func take() -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(count)
    for (w, word) in words.enumerated() where word != 0 {
      var x = word
      while x != 0 {
        out.append(w << 6 + x.trailingZeroBitCount)
        x &= x - 1
      }
      words[w] = 0
    }
    count = 0
    return out
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// The one scanner for runs of set (or clear) bits in a bitmap held as 64-bit words, a word at a time.
///
/// Two bit orders use it: the chain's per-block sector masks are MSB-first (`SectorBitmap`'s order:
/// bit `i` is bit `63 - i & 63` of word `i >> 6`), the metadata-only device's written-sector words
/// LSB-first (bit `i` is bit `i & 63`). The order is a constant at every call, so the branch on it
/// folds away where the scanner is inlined.
enum BitRuns {
  enum Order {
    case msbFirst, lsbFirst
  }

  /// The first bit in `[start, end)` equal to `value`, or `end` if there is none.
  @inline(__always)
  static func next(
    _ value: Bool, in words: UnsafePointer<UInt64>, from start: Int, to end: Int, order: Order
  ) -> Int {
    var i = start
    while i < end {
      let word = value ? words[i >> 6] : ~words[i >> 6]
      switch order {
      case .msbFirst:
        let x = word << UInt64(i & 63)
        if x != 0 { return min(end, i + x.leadingZeroBitCount) }
      case .lsbFirst:
        let x = word >> UInt64(i & 63)
        if x != 0 { return min(end, i + x.trailingZeroBitCount) }
      }
      i = (i | 63) + 1
    }
    return end
  }

  /// Calls `body(start, end)` for each maximal run of set bits within `[from, to)`.
  @inline(__always)
  static func forEach(
    in words: UnsafePointer<UInt64>, from: Int, to: Int, order: Order, _ body: (Int, Int) -> Void
  ) {
    var i = from
    while i < to {
      let start = next(true, in: words, from: i, to: to, order: order)
      if start >= to { return }
      let end = next(false, in: words, from: start, to: to, order: order)
      body(start, end)
      i = end
    }
  }
}

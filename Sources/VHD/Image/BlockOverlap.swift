// SPDX-License-Identifier: GPL-3.0-or-later

/// Whether any two blocks of a BAT overlap in the file, in time linear in the blocks.
///
/// Every open checks this, and a sort of 25,600 entries per open of a 50 GiB image was a tenth of a
/// fleet run. Blocks all have the same span, so two of them overlap exactly when their starts are
/// less than a span apart: cut the file after the metadata into span-sized buckets; two starts in
/// one bucket overlap, and otherwise only a start in the next bucket can. Sorting is left for
/// files with overlaps (to name the first pair) and for sparse layouts with far more buckets than
/// blocks.
enum BlockOverlap {
  /// True when no two of `used` (each `start << 32 | index`, every start ≥ `from`) overlap; false
  /// when some do or when the check would need more than four buckets a block (the caller sorts).
  static func none(_ used: [UInt64], from: UInt64, span: UInt64) -> Bool {
    guard let last = used.max() else { return true }
    let buckets = Int(((last >> 32) - from) / span) + 1
    guard buckets <= 4 * used.count + 64 else { return false }
    // Bucket → start of the block in it, or none.
    var owner = [UInt64](repeating: .max, count: buckets)
    return owner.withUnsafeMutableBufferPointer { owner in
      for entry in used {
        let start = entry >> 32
        let bucket = Int((start - from) / span)
        guard owner[bucket] == .max else { return false }
        owner[bucket] = start
      }
      // Each bucket holds at most one start; a start overlaps only the next bucket's, if any.
      for bucket in 0..<buckets - 1 where owner[bucket] != .max && owner[bucket + 1] != .max {
        if owner[bucket + 1] - owner[bucket] < span { return false }
      }
      return true
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool

/// The bucket layout of `Pool.LatencyHistogram` (32 log-spaced sub-buckets per power of two of
/// nanoseconds; values below 32 ns have a bucket each), so latency CDFs can be drawn from the bucket
/// counts runs recorded. Checked against the histogram's own percentiles by the tests.
public enum LatencyBuckets {
  public static let subBuckets = 1 << LatencyHistogram.subBucketBits

  /// Smallest nanosecond value in bucket `i`.
  public static func lowerBound(_ i: Int) -> Double {
    if i < subBuckets { return Double(i) }
    let shift = i / subBuckets - 1
    let sub = i % subBuckets
    return Double(subBuckets + sub) * Double(sign: .plus, exponent: shift, significand: 1)
  }

  /// One past the largest nanosecond value in bucket `i`.
  public static func upperBound(_ i: Int) -> Double { lowerBound(i + 1) }

  /// The empirical CDF of summed bucket counts: (upper bound in µs, fraction ≤ it) per non-empty
  /// bucket, ascending.
  public static func cdf(_ counts: [Int: UInt64]) -> [(microseconds: Double, fraction: Double)] {
    let total = counts.values.reduce(0, +)
    guard total > 0 else { return [] }
    var seen: UInt64 = 0
    var out: [(Double, Double)] = []
    for b in counts.keys.sorted() {
      seen += counts[b] ?? 0
      out.append((upperBound(b) / 1000, Double(seen) / Double(total)))
    }
    return out
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// Latencies in log-spaced buckets with exact counts: 32 sub-buckets per power of two of nanoseconds
/// (relative bucket width ≤ 1/32, about 3%), so a percentile is known to within one bucket whatever the
/// run length, in constant memory and O(1) per sample. Exact count, sum, minimum and maximum are kept
/// beside the buckets, so the mean is exact.
public struct LatencyHistogram: Sendable, Equatable {
  public static let subBucketBits = 5
  static let subBuckets = 1 << subBucketBits
  /// Enough buckets for 2⁶³ ns.
  static let bucketCount = (64 - subBucketBits) * subBuckets + subBuckets

  public private(set) var counts: [UInt64]
  public private(set) var count: UInt64 = 0
  public private(set) var sum: Int64 = 0
  public private(set) var min = SimTime.max
  public private(set) var max = SimTime.zero

  public init() { counts = Array(repeating: 0, count: Self.bucketCount) }

  /// Bucket index of `ns`: values below 32 ns have their own bucket; above, the position of the top
  /// bit picks the octave and the next 5 bits the sub-bucket.
  @inline(__always)
  static func bucket(_ ns: Int64) -> Int {
    let v = UInt64(Swift.max(0, ns))
    if v < UInt64(subBuckets) { return Int(v) }
    let top = 63 - v.leadingZeroBitCount
    let shift = top - subBucketBits
    return (shift + 1) * subBuckets + Int((v >> UInt64(shift)) & UInt64(subBuckets - 1))
  }

  /// Smallest value of bucket `i`.
  static func lowerBound(_ i: Int) -> Int64 {
    if i < subBuckets { return Int64(i) }
    let shift = i / subBuckets - 1
    let sub = i % subBuckets
    return Int64((UInt64(subBuckets) + UInt64(sub)) << UInt64(shift))
  }

  @inline(__always)
  public mutating func record(_ t: SimTime) {
    counts[Self.bucket(t.nanoseconds)] &+= 1
    count &+= 1
    sum &+= t.nanoseconds
    if t < min { min = t }
    if t > max { max = t }
  }

  public mutating func merge(_ other: LatencyHistogram) {
    for i in counts.indices { counts[i] &+= other.counts[i] }
    count &+= other.count
    sum &+= other.sum
    min = Swift.min(min, other.min)
    max = Swift.max(max, other.max)
  }

  /// Removes the samples `prefix` holds (an earlier state of this histogram); `min` and `max` are the
  /// extremes of the samples that remain, which counts alone cannot give back.
  mutating func subtract(_ prefix: LatencyHistogram, min: SimTime, max: SimTime) {
    for i in counts.indices { counts[i] &-= prefix.counts[i] }
    count &-= prefix.count
    sum &-= prefix.sum
    self.min = count == 0 ? .max : min
    self.max = count == 0 ? .zero : max
  }

  public var mean: SimTime { count == 0 ? .zero : SimTime(nanoseconds: sum / Int64(count)) }

  /// The `q`-quantile (0…1): in the bucket holding the ⌈q·n⌉-th smallest sample, at the fraction
  /// (q·n − samples below the bucket) / samples in it of the bucket's width, as if its samples were
  /// spread evenly over it; clamped to the exact minimum and maximum. A bucket's midpoint would give
  /// replicates the same percentile whenever it falls in one bucket (3 % wide): a confidence interval
  /// of exactly zero. The position within the bucket moves with the counts, and merging copies of a
  /// histogram leaves it unchanged.
  public func percentile(_ q: Double) -> SimTime {
    guard count > 0 else { return .zero }
    let rank = Swift.max(1, UInt64((q * Double(count)).rounded(.up)))
    var seen: UInt64 = 0
    for (i, c) in counts.enumerated() where c > 0 {
      seen += c
      if seen >= rank {
        let lo = Double(Self.lowerBound(i))
        let width = Double(Self.lowerBound(i + 1)) - lo
        let within = Swift.min(1, Swift.max(0, (q * Double(count) - Double(seen - c)) / Double(c)))
        let t = SimTime(nanoseconds: Int64((lo + within * width).rounded(.down)))
        return Swift.min(max, Swift.max(min, t))
      }
    }
    return max
  }

  public var p50: SimTime { percentile(0.5) }
  public var p90: SimTime { percentile(0.9) }
  public var p99: SimTime { percentile(0.99) }
  public var p999: SimTime { percentile(0.999) }

  func digest(into h: inout FNV1a64) {
    h.combine(count)
    h.combine(UInt64(bitPattern: sum))
    h.combine(UInt64(bitPattern: min.nanoseconds))
    h.combine(UInt64(bitPattern: max.nanoseconds))
    for (i, c) in counts.enumerated() where c > 0 {
      h.combine(UInt64(i))
      h.combine(c)
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

import CGSL

/// A histogram over fixed bins, backed by GSL's `gsl_histogram`, that keeps what falls outside.
///
/// Bin i covers [edge[i], edge[i + 1]) — closed below, open above, as in GSL — so a value equal to the
/// last edge is overflow. GSL's `gsl_histogram_accumulate` returns `GSL_EDOM` for an out-of-range value
/// and drops it; silently losing the tail of a latency distribution would bias every number read from
/// the histogram, so values below the first edge are added to `underflow` and values at or above the last
/// edge to `overflow` instead.
///
/// A value type with copy-on-write storage (`gsl_histogram_clone`), so copies are independent and the GSL
/// memory is freed with the last copy.
public struct Histogram: Sendable {
  private var storage: Storage
  /// Total weight below the first edge (including −∞).
  public private(set) var underflow: Double = 0
  /// Total weight at or above the last edge (including +∞).
  public private(set) var overflow: Double = 0

  /// `bins` equal-width bins covering [lowerBound, upperBound).
  /// - Throws: `.invalidArgument` for fewer than one bin or bounds that are not finite and increasing.
  public init(bins: Int, lowerBound: Double, upperBound: Double) throws(StatisticsError) {
    prepareGSL()
    guard bins >= 1 else { throw .invalidArgument("a histogram needs at least one bin, got \(bins)") }
    guard lowerBound.isFinite, upperBound.isFinite, lowerBound < upperBound else {
      throw .invalidArgument("histogram range [\(lowerBound), \(upperBound)) is not finite and increasing")
    }
    guard let h = gsl_histogram_alloc(bins) else { throw .gslFailure(Int32(GSL_ENOMEM)) }
    storage = Storage(h)
    let status = gsl_histogram_set_ranges_uniform(h, lowerBound, upperBound)
    guard Int(status) == GSL_SUCCESS else { throw .gslFailure(status) }
  }

  /// Bins between consecutive `edges`: bin i is [edges[i], edges[i + 1]).
  /// - Throws: `.invalidArgument` for fewer than two edges or edges that are not finite and strictly
  ///   increasing.
  public init(edges: [Double]) throws(StatisticsError) {
    prepareGSL()
    guard edges.count >= 2 else {
      throw .invalidArgument("a histogram needs at least two edges, got \(edges.count)")
    }
    guard edges.allSatisfy(\.isFinite), zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }) else {
      throw .invalidArgument("histogram edges must be finite and strictly increasing")
    }
    guard let h = gsl_histogram_alloc(edges.count - 1) else { throw .gslFailure(Int32(GSL_ENOMEM)) }
    storage = Storage(h)
    let status = gsl_histogram_set_ranges(h, edges, edges.count)
    guard Int(status) == GSL_SUCCESS else { throw .gslFailure(status) }
  }

  /// Number of bins.
  public var binCount: Int { gsl_histogram_bins(storage.pointer) }

  /// The bin edges, binCount + 1 of them.
  public var edges: [Double] {
    let h = storage.pointer
    return (0...h.pointee.n).map { h.pointee.range[$0] }
  }

  /// The weight in each bin.
  public var counts: [Double] { (0..<binCount).map { gsl_histogram_get(storage.pointer, $0) } }

  /// The weight in bin `index` (0-based); nil for an index outside the bins.
  public func count(inBin index: Int) -> Double? {
    guard index >= 0, index < binCount else { return nil }
    return gsl_histogram_get(storage.pointer, index)
  }

  /// The half-open range [lower, upper) of bin `index`; nil for an index outside the bins.
  public func range(ofBin index: Int) -> Range<Double>? {
    guard index >= 0, index < binCount else { return nil }
    var lower = 0.0
    var upper = 0.0
    _ = gsl_histogram_get_range(storage.pointer, index, &lower, &upper)
    return lower..<upper
  }

  /// The bin `value` falls in, or nil when it is under- or overflow.
  public func bin(for value: Double) -> Int? {
    var index = 0
    let status = gsl_histogram_find(storage.pointer, value, &index)
    return Int(status) == GSL_SUCCESS ? index : nil
  }

  /// Total weight inside the bins (`gsl_histogram_sum`), excluding under- and overflow.
  public var inRangeTotal: Double { gsl_histogram_sum(storage.pointer) }

  /// Total weight added, in range or not.
  public var total: Double { inRangeTotal + underflow + overflow }

  /// Adds `value` with `weight` (1 by default): to its bin, or to underflow/overflow.
  /// - Throws: `.nonFiniteValue` for NaN (which belongs to no bin and to neither side) and
  ///   `.invalidArgument` for a non-finite weight. ±∞ are fine: they are under- and overflow.
  public mutating func add(_ value: Double, weight: Double = 1) throws(StatisticsError) {
    guard !value.isNaN else { throw .nonFiniteValue(name: "value", index: 0) }
    guard weight.isFinite else { throw .invalidArgument("histogram weight must be finite, got \(weight)") }
    let h = storage.pointer
    if value < h.pointee.range[0] {
      underflow += weight
      return
    }
    if value >= h.pointee.range[h.pointee.n] {
      overflow += weight
      return
    }
    if !isKnownUniquelyReferenced(&storage) { storage = try storage.copy() }
    let status = gsl_histogram_accumulate(storage.pointer, value, weight)
    guard Int(status) == GSL_SUCCESS else { throw .gslFailure(status) }
  }

  /// Adds every value with weight 1.
  /// - Throws: `.nonFiniteValue` with the index of the first NaN; values before it have been added.
  public mutating func add(contentsOf values: [Double]) throws(StatisticsError) {
    for (index, value) in values.enumerated() {
      guard !value.isNaN else { throw .nonFiniteValue(name: "values", index: index) }
      try add(value)
    }
  }

  /// Owns one `gsl_histogram` and frees it.
  ///
  /// `@unchecked Sendable`: the pointer is only written through `Histogram.add`, after
  /// `isKnownUniquelyReferenced` has made the storage private to that value (the same discipline as the
  /// standard library's copy-on-write collections); concurrent reads are plain loads.
  private final class Storage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<gsl_histogram>

    init(_ pointer: UnsafeMutablePointer<gsl_histogram>) { self.pointer = pointer }

    func copy() throws(StatisticsError) -> Storage {
      guard let clone = gsl_histogram_clone(pointer) else { throw .gslFailure(Int32(GSL_ENOMEM)) }
      return Storage(clone)
    }

    deinit { gsl_histogram_free(pointer) }
  }
}

extension Histogram: Equatable {
  /// Equal when edges, bin weights, underflow and overflow are equal.
  public static func == (lhs: Histogram, rhs: Histogram) -> Bool {
    lhs.edges == rhs.edges && lhs.counts == rhs.counts && lhs.underflow == rhs.underflow
      && lhs.overflow == rhs.overflow
  }
}

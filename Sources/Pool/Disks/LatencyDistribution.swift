// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Simulation

/// The distribution of one fixed service-time component (a flash read, a write acknowledgement, an
/// iSCSI round trip), in nanoseconds, drawn by inverse-CDF sampling: `value(at: u)` maps a uniform
/// variate to a time, so a model spends exactly one variate per draw and two distributions can be
/// read at the same quantile (see `SizeClassLatency`).
///
/// - `constant`: the old deterministic figure (and what `variability: off` collapses a profile to).
/// - `lognormal`: `median · exp(σ · Φ⁻¹(u))`, the usual fit of storage service times (positive,
///   right-skewed); its mean is `median · exp(σ²/2)`.
/// - `empirical`: a measured quantile table (fio's completion-latency percentiles), linear between
///   points, as DiskSim's validated models did with measured distributions.
public enum LatencyDistribution: Sendable, Equatable {
  case constant(nanoseconds: Double)
  case lognormal(median: Double, sigma: Double)
  case empirical(QuantileTable)

  /// A constant figure.
  public static func fixed(_ t: SimTime) -> LatencyDistribution {
    .constant(nanoseconds: Double(t.nanoseconds))
  }

  /// A lognormal whose mean is `mean` (so a data-sheet mean is kept) with shape `sigma`.
  public static func lognormal(mean: SimTime, sigma: Double) -> LatencyDistribution {
    .lognormal(median: Double(mean.nanoseconds) / exp(sigma * sigma / 2), sigma: sigma)
  }

  /// The time at quantile `u` in (0, 1), nanoseconds.
  @inlinable
  public func value(at u: Double) -> Double {
    switch self {
    case .constant(let ns): return ns
    case .lognormal(let median, let sigma): return median * exp(sigma * standardNormalQuantile(u))
    case .empirical(let table): return table.value(at: u)
    }
  }

  /// The mean, nanoseconds.
  public var mean: Double {
    switch self {
    case .constant(let ns): ns
    case .lognormal(let median, let sigma): median * exp(sigma * sigma / 2)
    case .empirical(let table): table.mean
    }
  }

  /// The same mean without the spread (`variability: off`).
  public var deterministic: LatencyDistribution { .constant(nanoseconds: mean) }

  /// Every value shifted by `delta` ns and clamped at `floor` (calibration removes the transfer time
  /// a model adds separately).
  public func shifted(by delta: Double, floor: Double = 0) -> LatencyDistribution {
    switch self {
    case .constant(let ns): .constant(nanoseconds: Swift.max(floor, ns + delta))
    case .lognormal: self
    case .empirical(let t): .empirical(t.shifted(by: delta, floor: floor))
    }
  }
}

/// A monotone quantile function given by points (probability, nanoseconds), probabilities rising from
/// 0 to 1, values not decreasing; linear in between. Validated at construction so sampling never traps.
public struct QuantileTable: Sendable, Equatable {
  public let probabilities: [Double]
  public let nanoseconds: [Double]

  public enum Problem: Error, Equatable, CustomStringConvertible {
    case tooFewPoints, probabilitiesNotRising, notFromZeroToOne, valuesDecreasing, negativeValue
    public var description: String {
      switch self {
      case .tooFewPoints: "a quantile table needs at least two points"
      case .probabilitiesNotRising: "quantile probabilities must rise strictly"
      case .notFromZeroToOne: "quantile probabilities must start at 0 and end at 1"
      case .valuesDecreasing: "quantile values must not decrease"
      case .negativeValue: "quantile values must not be negative"
      }
    }
  }

  public init(probabilities: [Double], nanoseconds: [Double]) throws(Problem) {
    guard probabilities.count >= 2, probabilities.count == nanoseconds.count else { throw .tooFewPoints }
    guard probabilities.first == 0, probabilities.last == 1 else { throw .notFromZeroToOne }
    for i in 1..<probabilities.count {
      guard probabilities[i] > probabilities[i - 1] else { throw .probabilitiesNotRising }
      guard nanoseconds[i] >= nanoseconds[i - 1] else { throw .valuesDecreasing }
    }
    guard nanoseconds[0] >= 0 else { throw .negativeValue }
    self.probabilities = probabilities
    self.nanoseconds = nanoseconds
  }

  /// Linear interpolation of the quantile function at `u` (binary search: tables have tens of points).
  @inlinable
  public func value(at u: Double) -> Double {
    var lo = 0
    var hi = probabilities.count - 1
    while hi - lo > 1 {
      let mid = (lo + hi) / 2
      if probabilities[mid] <= u { lo = mid } else { hi = mid }
    }
    let p0 = probabilities[lo]
    let p1 = probabilities[hi]
    let f = Swift.min(1, Swift.max(0, (u - p0) / (p1 - p0)))
    return nanoseconds[lo] + f * (nanoseconds[hi] - nanoseconds[lo])
  }

  /// The mean of the piecewise-linear quantile function (trapezoids).
  public var mean: Double {
    var sum = 0.0
    for i in 1..<probabilities.count {
      sum += (probabilities[i] - probabilities[i - 1]) * (nanoseconds[i] + nanoseconds[i - 1]) / 2
    }
    return sum
  }

  /// The tables averaged quantile by quantile (Vincent averaging: the quantile function of runs of
  /// one job pooled with equal weight), at every probability any of them lists; `tables` itself
  /// when it holds one. Throws on an empty list.
  public static func average(_ tables: [QuantileTable]) throws(Problem) -> QuantileTable {
    guard let first = tables.first else { throw .tooFewPoints }
    if tables.count == 1 { return first }
    let ps = Array(Set(tables.flatMap(\.probabilities))).sorted()
    let n = Double(tables.count)
    return try QuantileTable(
      probabilities: ps, nanoseconds: ps.map { p in tables.reduce(0) { $0 + $1.value(at: p) } / n })
  }

  func shifted(by delta: Double, floor: Double) -> QuantileTable {
    // Clamping keeps the values non-decreasing and non-negative, so the table stays valid.
    QuantileTable(
      checked: probabilities, nanoseconds.map { Swift.max(Swift.max(0, floor), $0 + delta) })
  }

  private init(checked probabilities: [Double], _ nanoseconds: [Double]) {
    self.probabilities = probabilities
    self.nanoseconds = nanoseconds
  }
}

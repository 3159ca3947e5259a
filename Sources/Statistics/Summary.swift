// SPDX-License-Identifier: GPL-3.0-or-later

import CGSL

/// Descriptive statistics of one sample: size, mean, standard deviation, extremes and quantiles.
///
/// Quantiles use GSL's `gsl_stats_quantile_from_sorted_data`, which interpolates linearly between order
/// statistics, `(1 − δ)·x[i] + δ·x[i+1]` with `i = ⌊(n − 1)p⌋` — the same definition as R's default
/// `quantile(type = 7)` and NumPy's `"linear"`, so numbers can be checked against either. The summary keeps
/// a sorted copy of the sample so further quantiles can be asked for without re-sorting.
public struct Summary: Equatable, Sendable {
  /// Number of observations.
  public let count: Int
  /// Arithmetic mean.
  public let mean: Double
  /// Sample standard deviation with the n − 1 (Bessel) denominator, the unbiased variance's root: what
  /// confidence intervals and t tests expect.
  public let standardDeviation: Double
  /// Smallest observation.
  public let minimum: Double
  /// Largest observation.
  public let maximum: Double
  /// Median (the 0.5 quantile).
  public let median: Double
  /// The probabilities asked for at construction, in the order given.
  public let probabilities: [Double]
  /// The quantiles at `probabilities`, same order.
  public let quantiles: [Double]
  /// The sample in ascending order; kept so `quantile(_:)` need not sort again.
  public let sortedSample: [Double]

  /// Variance with the n − 1 denominator.
  public var variance: Double { standardDeviation * standardDeviation }

  /// Standard error of the mean, sd/√n.
  public var standardError: Double { standardDeviation / Double(count).squareRoot() }

  /// Summarises `sample`.
  ///
  /// Needs at least two finite observations, because the summary reports a standard deviation and one
  /// observation has none; throws rather than reporting NaN.
  /// - Parameter probabilities: quantiles to compute, each in [0, 1]; quartiles by default.
  public init(_ sample: [Double], probabilities: [Double] = [0.25, 0.5, 0.75]) throws(StatisticsError) {
    prepareGSL()
    try Validate.sample(sample, name: "sample", minimum: 2)
    for p in probabilities { try Validate.probability(p) }
    var sorted = sample
    sorted.withUnsafeMutableBufferPointer { gsl_sort($0.baseAddress, 1, $0.count) }
    let n = sorted.count
    count = n
    mean = gsl_stats_mean(sorted, 1, n)
    standardDeviation = gsl_stats_sd_m(sorted, 1, n, mean)
    minimum = sorted[0]
    maximum = sorted[n - 1]
    median = gsl_stats_median_from_sorted_data(sorted, 1, n)
    self.probabilities = probabilities
    quantiles = probabilities.map { gsl_stats_quantile_from_sorted_data(sorted, 1, n, $0) }
    sortedSample = sorted
  }

  /// The quantile at probability `p` (R type 7), from the kept sorted sample.
  public func quantile(_ p: Double) throws(StatisticsError) -> Double {
    try Validate.probability(p)
    return gsl_stats_quantile_from_sorted_data(sortedSample, 1, sortedSample.count, p)
  }
}

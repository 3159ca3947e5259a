// SPDX-License-Identifier: GPL-3.0-or-later

import CGSL

/// A point estimate with a two-sided confidence interval at a stated level.
///
/// One type serves the t interval for a mean, the Welch interval for a difference of means, the delta-method
/// interval for a relative difference and the bootstrap percentile interval, so reports print them alike.
/// The interval need not be symmetric about the estimate (bootstrap intervals usually are not).
public struct ConfidenceInterval: Equatable, Sendable {
  /// The point estimate (sample mean, difference, statistic on the full sample).
  public let estimate: Double
  /// Lower bound.
  public let lower: Double
  /// Upper bound.
  public let upper: Double
  /// Confidence level in (0, 1), e.g. 0.95.
  public let level: Double

  /// Makes an interval from its parts; no checks (the factory functions validate their input).
  public init(estimate: Double, lower: Double, upper: Double, level: Double) {
    self.estimate = estimate
    self.lower = lower
    self.upper = upper
    self.level = level
  }

  /// Half the width; for symmetric intervals the "±" value.
  public var halfWidth: Double { (upper - lower) / 2 }

  /// Whether `value` lies in the closed interval.
  public func contains(_ value: Double) -> Bool { lower <= value && value <= upper }

  /// The t-based interval for the mean of `sample`: mean ± t(1 − α/2, n − 1)·sd/√n.
  ///
  /// Uses Student's t quantile (`gsl_cdf_tdist_Pinv`) rather than the normal one because simulation
  /// studies often have only a handful of replications, where z would be too narrow (t(0.975, 9) ≈ 2.262
  /// against z ≈ 1.960). Assumes replications are independent and roughly normal in the mean.
  /// - Throws: for fewer than two observations, non-finite values, or a level outside (0, 1).
  public static func mean(of sample: [Double], level: Double = 0.95) throws(StatisticsError)
    -> ConfidenceInterval
  {
    prepareGSL()
    try Validate.sample(sample, name: "sample", minimum: 2)
    try Validate.level(level)
    let n = sample.count
    let mean = gsl_stats_mean(sample, 1, n)
    let sd = gsl_stats_sd_m(sample, 1, n, mean)
    let t = try tQuantile(level: level, degreesOfFreedom: Double(n - 1))
    let half = t * sd / Double(n).squareRoot()
    return ConfidenceInterval(estimate: mean, lower: mean - half, upper: mean + half, level: level)
  }

  /// The two-sided critical value t(1 − α/2, df), checked for NaN (GSL returns NaN for bad arguments
  /// without calling its error handler).
  static func tQuantile(level: Double, degreesOfFreedom df: Double) throws(StatisticsError) -> Double {
    let t = gsl_cdf_tdist_Pinv(0.5 + level / 2, df)
    guard t.isFinite else {
      throw .invalidArgument("t quantile undefined for level \(level), df \(df)")
    }
    return t
  }
}

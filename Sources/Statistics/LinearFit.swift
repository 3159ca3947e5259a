// SPDX-License-Identifier: GPL-3.0-or-later

import CGSL

/// Ordinary least-squares line y = intercept + slope·x, from `gsl_fit_linear`.
///
/// Used to turn a sweep into a cost model (cost against chain depth, say) and to say how well the line
/// holds: standard errors come from GSL's covariance matrix, which scales by the residual variance
/// s² = RSS/(n − 2), so at least three points are needed.
public struct LinearFit: Equatable, Sendable {
  /// Number of points.
  public let count: Int
  /// Fitted intercept (c0).
  public let intercept: Double
  /// Fitted slope (c1).
  public let slope: Double
  /// Variance of the intercept estimate (cov00).
  public let interceptVariance: Double
  /// Covariance of intercept and slope estimates (cov01); needed for the error of a prediction.
  public let covariance: Double
  /// Variance of the slope estimate (cov11).
  public let slopeVariance: Double
  /// Residual sum of squares Σ(y − ŷ)².
  public let residualSumOfSquares: Double
  /// Coefficient of determination 1 − RSS/TSS. When every y is equal (TSS = 0) the line fits exactly
  /// and this is 1 rather than the undefined 0/0.
  public let rSquared: Double

  /// Standard error of the intercept, √cov00.
  public var interceptStandardError: Double { interceptVariance.squareRoot() }
  /// Standard error of the slope, √cov11.
  public var slopeStandardError: Double { slopeVariance.squareRoot() }

  /// A fitted value and its standard error.
  public struct Prediction: Equatable, Sendable {
    /// ŷ = intercept + slope·x.
    public let value: Double
    /// Standard error of the fitted mean response at x (from the covariance matrix), not of a new
    /// observation, which would add the residual variance.
    public let standardError: Double
  }

  /// Fits a line through the points (x[i], y[i]).
  /// - Throws: when x and y differ in length, there are fewer than three points, a value is not finite,
  ///   or `.degenerate` when every x is equal (the slope is undefined).
  public init(x: [Double], y: [Double]) throws(StatisticsError) {
    prepareGSL()
    guard x.count == y.count else {
      throw .invalidArgument("x has \(x.count) values but y has \(y.count)")
    }
    try Validate.sample(x, name: "x", minimum: 3)
    try Validate.sample(y, name: "y", minimum: 3)
    guard x.contains(where: { $0 != x[0] }) else {
      throw .degenerate("every x is equal; the slope is undefined")
    }
    let n = x.count
    var c0 = 0.0
    var c1 = 0.0
    var cov00 = 0.0
    var cov01 = 0.0
    var cov11 = 0.0
    var sumsq = 0.0
    let status = gsl_fit_linear(x, 1, y, 1, n, &c0, &c1, &cov00, &cov01, &cov11, &sumsq)
    guard Int(status) == GSL_SUCCESS else { throw .gslFailure(status) }
    guard c0.isFinite, c1.isFinite, cov00.isFinite, cov11.isFinite else {
      throw .degenerate("the fit did not produce finite coefficients")
    }
    let meanY = gsl_stats_mean(y, 1, n)
    let tss = gsl_stats_tss_m(y, 1, n, meanY)
    count = n
    intercept = c0
    slope = c1
    interceptVariance = cov00
    covariance = cov01
    slopeVariance = cov11
    residualSumOfSquares = sumsq
    rSquared = tss > 0 ? 1 - sumsq / tss : 1
  }

  /// The fitted value at `x` and its standard error, from `gsl_fit_linear_est`.
  public func predict(_ x: Double) -> Prediction {
    prepareGSL()
    var value = 0.0
    var error = 0.0
    _ = gsl_fit_linear_est(
      x, intercept, slope, interceptVariance, covariance, slopeVariance, &value, &error)
    return Prediction(value: value, standardError: error)
  }
}

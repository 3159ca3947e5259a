// SPDX-License-Identifier: GPL-3.0-or-later

import CGSL

/// Why a statistic could not be computed.
///
/// GSL's default error handler prints and calls `abort()`, and several GSL routines answer bad input with
/// a silent NaN instead (`gsl_cdf_tdist_Pinv(1.5, 9)`). Neither is acceptable inside a simulator that runs
/// thousands of replications, so every entry point in this module validates its input first and reports
/// what was wrong as one of these cases instead of trapping or returning NaN.
public enum StatisticsError: Error, Equatable, Sendable {
  /// A sample had no observations. `name` is the argument (`"sample"`, `"a"`, `"x"`, …).
  case emptySample(name: String)
  /// A sample had fewer observations than the statistic needs (two for a variance, three for the
  /// standard errors of a line fit).
  case insufficientSample(name: String, count: Int, required: Int)
  /// A sample held NaN or an infinity at `index`; means and variances would silently become NaN.
  case nonFiniteValue(name: String, index: Int)
  /// A confidence level outside the open interval (0, 1).
  case invalidConfidenceLevel(Double)
  /// A probability for a quantile outside [0, 1] (or (0, 1) where the estimator needs it).
  case invalidProbability(Double)
  /// Any other argument that cannot be used; the text says which and why.
  case invalidArgument(String)
  /// The input is valid but the statistic is undefined for it, such as a t statistic when both samples
  /// have zero variance, or a slope when every x is equal.
  case degenerate(String)
  /// GSL itself reported an error: its `gsl_errno` code and `gsl_strerror` text.
  case gsl(code: Int32, reason: String)

  /// Wraps a non-success GSL return code, with GSL's own description of it.
  static func gslFailure(_ code: Int32) -> StatisticsError {
    .gsl(code: code, reason: String(cString: gsl_strerror(code)))
  }
}

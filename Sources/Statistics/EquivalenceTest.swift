// SPDX-License-Identifier: GPL-3.0-or-later

import CGSL

/// Whether two configurations agree within a stated margin, as an equivalence test rather than a
/// failed difference test: "no significant difference" with three noisy replicates says nothing, while
/// "the 95 % interval of the difference lies inside ±margin" bounds how far apart they can be.
///
/// This is the interval-inclusion form of Schuirmann's two one-sided tests (Schuirmann 1987, J.
/// Pharmacokinet. Biopharm. 15:657): a (1 − 2α) interval inside the margin rejects both one-sided
/// hypotheses at α. Using the 95 % interval (α = 0.025 per side) is the stricter choice, so a
/// verdict here also holds at the usual 5 % TOST level.
public struct EquivalenceResult: Equatable, Sendable {
  /// mean a − mean b.
  public let difference: Double
  /// The interval of the difference: Welch's t interval, or the point itself when neither sample
  /// varies (deterministic outputs: the difference is known exactly).
  public let interval: ConfidenceInterval
  /// The half-width of the equivalence region, in the metric's units.
  public let margin: Double
  /// True when the interval lies inside [−margin, +margin].
  public var equivalent: Bool { -margin <= interval.lower && interval.upper <= margin }
}

/// Tests `a` against `b` for equivalence within ±`margin` (absolute, the metric's units) at `level`.
/// - Throws: `StatisticsError` for samples with fewer than two observations or non-finite values, a
///   negative or non-finite margin, or a level outside (0, 1).
public func equivalenceTest(_ a: [Double], _ b: [Double], margin: Double, level: Double = 0.95)
  throws(StatisticsError) -> EquivalenceResult
{
  prepareGSL()
  try Validate.sample(a, name: "a", minimum: 2)
  try Validate.sample(b, name: "b", minimum: 2)
  try Validate.level(level)
  guard margin.isFinite, margin >= 0 else {
    throw .invalidArgument("equivalence margin \(margin) must be finite and not negative")
  }
  let ma = gsl_stats_mean(a, 1, a.count)
  let mb = gsl_stats_mean(b, 1, b.count)
  let interval: ConfidenceInterval
  do {
    interval = try welchTTest(a, b, level: level).meanDifference
  } catch .degenerate {
    interval = ConfidenceInterval(estimate: ma - mb, lower: ma - mb, upper: ma - mb, level: level)
  }
  return EquivalenceResult(difference: ma - mb, interval: interval, margin: margin)
}

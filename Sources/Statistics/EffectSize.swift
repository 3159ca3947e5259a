// SPDX-License-Identifier: GPL-3.0-or-later

import CGSL

/// Cohen's d: (mean a − mean b) / pooled standard deviation.
///
/// A p-value says whether a difference is detectable with this many replications; d says how large it
/// is relative to the noise, which does not shrink as replications grow. The pooled variance is
/// ((na − 1)s²a + (nb − 1)s²b) / (na + nb − 2), from `gsl_stats_pvariance`. Conventional readings: 0.2
/// small, 0.5 medium, 0.8 large.
/// - Throws: for a sample with fewer than two observations or non-finite values, or `.degenerate` when
///   the pooled standard deviation is zero.
public func cohensD(_ a: [Double], _ b: [Double]) throws(StatisticsError) -> Double {
  prepareGSL()
  try Validate.sample(a, name: "a", minimum: 2)
  try Validate.sample(b, name: "b", minimum: 2)
  let pooled = gsl_stats_pvariance(a, 1, a.count, b, 1, b.count)
  guard pooled > 0 else { throw .degenerate("pooled standard deviation is zero") }
  return (gsl_stats_mean(a, 1, a.count) - gsl_stats_mean(b, 1, b.count)) / pooled.squareRoot()
}

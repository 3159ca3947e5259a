// SPDX-License-Identifier: GPL-3.0-or-later

import CGSL

/// Cohen's d: (mean a − mean b) / pooled standard deviation.
///
/// A p-value says whether a difference is detectable with this many replications; d says how large it
/// is relative to the noise, which does not shrink as replications grow. The pooled variance is
/// ((na − 1)s²a + (nb − 1)s²b) / (na + nb − 2), from `gsl_stats_pvariance`. Conventional readings: 0.2
/// small, 0.5 medium, 0.8 large.
///
/// When the replicates barely vary (a deterministic metric, or one that varies only in its last
/// digits) d divides by almost nothing and reaches absurd values (718 was seen on a latency that
/// differed by rounding only), so a pooled standard deviation at or below
/// ``degenerateRelativeSD`` × the larger |mean| counts as no variance at all: d is undefined there and
/// reports print "n/a (no variance)".
/// - Throws: for a sample with fewer than two observations or non-finite values, or `.degenerate` when
///   the pooled standard deviation is zero or negligible against the means.
public func cohensD(_ a: [Double], _ b: [Double]) throws(StatisticsError) -> Double {
  prepareGSL()
  try Validate.sample(a, name: "a", minimum: 2)
  try Validate.sample(b, name: "b", minimum: 2)
  let sd = gsl_stats_pvariance(a, 1, a.count, b, 1, b.count).squareRoot()
  let ma = gsl_stats_mean(a, 1, a.count)
  let mb = gsl_stats_mean(b, 1, b.count)
  guard sd > 0 else { throw .degenerate("pooled standard deviation is zero") }
  guard sd > degenerateRelativeSD * max(abs(ma), abs(mb)) else {
    throw .degenerate("pooled standard deviation is negligible against the means")
  }
  return (ma - mb) / sd
}

/// The pooled standard deviation, relative to the larger |mean|, at or below which ``cohensD(_:_:)``
/// treats the samples as having no variance (1e-9: far below any simulated metric's real spread,
/// far above the rounding of a sum of doubles).
public let degenerateRelativeSD = 1e-9

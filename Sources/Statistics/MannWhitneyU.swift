// SPDX-License-Identifier: GPL-3.0-or-later

import CGSL

/// The result of a Mann–Whitney U (Wilcoxon rank-sum) test of a against b.
public struct MannWhitneyUResult: Equatable, Sendable {
  /// U of a: the number of pairs (x from a, y from b) with x > y, ties counting one half. Equals
  /// R_a − na(na + 1)/2 with R_a the rank sum of a in the pooled sample (midranks for ties); R's
  /// `wilcox.test(a, b)` reports it as W.
  public let u: Double
  /// U of b, na·nb − u.
  public let uB: Double
  /// Normal-approximation z with tie-corrected variance and a continuity correction of ½ towards the
  /// mean; its sign is that of u − na·nb/2 (positive when a tends to be larger).
  public let z: Double
  /// Two-sided p-value: exact (`method == .exact`), 2·min(P(U ≤ u), P(U ≥ u)) under the permutation
  /// distribution of U given the pooled ranks (ties included); else 2·P(Z > |z|), as R's
  /// `wilcox.test(a, b, exact = FALSE, correct = TRUE)`.
  public let pValue: Double
  /// How `pValue` was computed.
  public let method: MannWhitneyMethod
  /// Rank-biserial correlation (u − uB)/(na·nb) = 2u/(na·nb) − 1, in [−1, 1]: the probability that a
  /// random a exceeds a random b, minus the reverse. Positive when a tends to be larger.
  public let rankBiserial: Double
}

/// How a Mann–Whitney p-value is computed.
public enum MannWhitneyMethod: String, Sendable, Equatable {
  /// The exact permutation distribution of U (small samples).
  case exact
  /// The normal approximation with tie correction and continuity correction (large samples).
  case normal

  /// Both samples at most this large: exact by default (the counting table stays small).
  public static let exactLimit = 50
}

/// Mann–Whitney U test of `a` against `b`, two-sided: exact for small samples (both at most
/// ``MannWhitneyMethod/exactLimit`` unless `method` says otherwise), by the normal approximation for
/// large ones.
///
/// For latency-like outputs that are skewed or heavy-tailed a rank test is more trustworthy than a t
/// test, which is driven by the tails. GSL has no rank tests, so ranks are computed here (midranks for
/// ties) from `gsl_sort_index`. The variance of U is corrected for ties,
/// σ² = na·nb/12·((n + 1) − Σ(t³ − t)/(n(n − 1))), and z carries a ½ continuity correction, matching R's
/// defaults for the approximate test. At small n the approximation is poor — with 3 against 3 it
/// gives p = 0.081 where the smallest p the test can reach is 2/C(6,3) = 0.1 — so small samples get
/// the exact distribution of U: every way to split the pooled (mid)ranks into groups of na and nb is
/// equally likely under the null, and a counting table over rank sums gives P(U ≤ u) and P(U ≥ u)
/// without enumerating them (ties are kept as they are, so the test is exact conditional on them).
/// - Throws: for an empty sample or non-finite values, or `.degenerate` when every observation is tied
///   (σ = 0).
public func mannWhitneyU(_ a: [Double], _ b: [Double], method: MannWhitneyMethod? = nil)
  throws(StatisticsError)
  -> MannWhitneyUResult
{
  prepareGSL()
  try Validate.sample(a, name: "a", minimum: 1)
  try Validate.sample(b, name: "b", minimum: 1)
  let pooled = a + b
  let n = pooled.count
  var sortIndex = [Int](repeating: 0, count: n)
  sortIndex.withUnsafeMutableBufferPointer { gsl_sort_index($0.baseAddress, pooled, 1, n) }

  // Midranks: a run of equal values at sorted positions i..<j (0-based) all get (i + 1 + j) / 2.
  var ranks = [Double](repeating: 0, count: n)
  var tieTerm = 0.0  // Σ(t³ − t) over tie groups
  var i = 0
  while i < n {
    var j = i + 1
    while j < n && pooled[sortIndex[j]] == pooled[sortIndex[i]] { j += 1 }
    let midrank = Double(i + 1 + j) / 2
    for k in i..<j { ranks[sortIndex[k]] = midrank }
    let t = Double(j - i)
    tieTerm += t * t * t - t
    i = j
  }

  let na = Double(a.count)
  let nb = Double(b.count)
  let rankSumA = ranks[0..<a.count].reduce(0, +)
  let u = rankSumA - na * (na + 1) / 2
  let uB = na * nb - u
  let total = Double(n)
  let variance = na * nb / 12 * ((total + 1) - tieTerm / (total * (total - 1)))
  guard variance > 0 else { throw .degenerate("all observations are tied; U has no spread") }
  let centred = u - na * nb / 2
  let correction = centred > 0 ? 0.5 : (centred < 0 ? -0.5 : 0)
  let z = (centred - correction) / variance.squareRoot()
  let chosen =
    method
    ?? (a.count <= MannWhitneyMethod.exactLimit && b.count <= MannWhitneyMethod.exactLimit ? .exact : .normal)
  let p: Double
  switch chosen {
  case .normal: p = min(1, 2 * gsl_cdf_ugaussian_Q(abs(z)))
  case .exact:
    p = MannWhitneyExact.twoSidedP(doubledRanks: ranks.map { Int(($0 * 2).rounded()) }, na: a.count, u: u)
  }
  return MannWhitneyUResult(
    u: u, uB: uB, z: z, pValue: p, method: chosen, rankBiserial: (u - uB) / (na * nb))
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// The exact null distribution of the Mann–Whitney U statistic, by counting.
///
/// Under the null hypothesis every choice of which na of the n pooled observations belong to a is
/// equally likely, so P(U = u) is the number of na-subsets of the pooled ranks whose rank sum is
/// R = u + na(na + 1)/2, divided by C(n, na). Midranks of ties are halves, so ranks are doubled to
/// integers. `ways[k][s]` counts the k-subsets of the ranks seen so far with doubled sum s; adding
/// one rank at a time (k downwards, as in a 0/1 knapsack) fills it in O(n · na · maxSum) additions,
/// in doubles (C(100, 50) ≈ 10²⁹ is beyond Int64 but far within a double's exponent; the relative
/// rounding stays near 1e-15 because every count is a sum of positive terms).
enum MannWhitneyExact {
  /// 2·min(P(U ≤ u), P(U ≥ u)), at most 1.
  static func twoSidedP(doubledRanks: [Int], na: Int, u: Double) -> Double {
    let maxSum = doubledRanks.sorted(by: >).prefix(na).reduce(0, +)
    var ways = [[Double]](repeating: [Double](repeating: 0, count: maxSum + 1), count: na + 1)
    ways[0][0] = 1
    for (i, r) in doubledRanks.enumerated() {
      var k = Swift.min(i + 1, na)
      while k >= 1 {
        var s = maxSum
        while s >= r {
          let add = ways[k - 1][s - r]
          if add != 0 { ways[k][s] += add }
          s -= 1
        }
        k -= 1
      }
    }
    // Doubled rank sum of a that gives U = u.
    let observed = Int(((u + Double(na * (na + 1)) / 2) * 2).rounded())
    var total = 0.0
    var atMost = 0.0
    var atLeast = 0.0
    for s in 0...maxSum where ways[na][s] != 0 {
      total += ways[na][s]
      if s <= observed { atMost += ways[na][s] }
      if s >= observed { atLeast += ways[na][s] }
    }
    return Swift.min(1, 2 * Swift.min(atMost, atLeast) / total)
  }
}

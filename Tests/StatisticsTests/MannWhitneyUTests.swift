// SPDX-License-Identifier: GPL-3.0-or-later

import Statistics
import Testing

@Suite struct MannWhitneyUTests {
  // R's ?wilcox.test depression-scale data (Hollander & Wolfe). As two independent samples:
  // W = U = 58; scipy.stats.mannwhitneyu(x, y, use_continuity=True, method="asymptotic") gives
  // p = 0.13291945818531892, i.e. |z| = 1.5026882342055548. Rank-biserial 2·58/81 − 1 = 35/81.
  let x: [Double] = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
  let y: [Double] = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]

  @Test func hollanderWolfeExample() throws {
    let r = try mannWhitneyU(x, y, method: .normal)
    #expect(r.u == 58)
    #expect(r.uB == 23)
    #expect(isClose(r.z, 1.5026882342055548, tolerance: 1e-9))
    #expect(isClose(r.pValue, 0.13291945818531892, tolerance: 1e-12))
    #expect(isClose(r.rankBiserial, 35.0 / 81))
  }

  // Ties across groups. By hand: pairs with a > b, ties ½: 0 + 2·½ + (1 + ½) + 2 = 4.5.
  // Tie groups {2,2,2}, {3,3}, {5,5}: Σ(t³ − t) = 24 + 6 + 6 = 36; σ² = 30/12·(12 − 36/110);
  // z = (4.5 − 15 + ½)/σ = −1.8511594413390133; scipy p = 0.06414661873440437.
  @Test func tiesAcrossGroups() throws {
    let r = try mannWhitneyU([1, 2, 2, 3, 4], [2, 3, 5, 5, 6, 7], method: .normal)
    #expect(r.u == 4.5)
    #expect(r.uB == 25.5)
    #expect(isClose(r.z, -1.8511594413390133, tolerance: 1e-12))
    #expect(isClose(r.pValue, 0.06414661873440437, tolerance: 1e-12))
    #expect(isClose(r.rankBiserial, -0.7))
  }

  @Test func completeSeparation() throws {
    let r = try mannWhitneyU([10, 11, 12], [1, 2, 3])
    #expect(r.u == 9)
    #expect(r.rankBiserial == 1)
    // 3 against 3 can never reach p < 0.1 = 2/C(6,3); the normal approximation claims 0.0809
    // (scipy.stats.mannwhitneyu(method="asymptotic"): 0.08085559837005224).
    #expect(r.method == .exact)
    #expect(isClose(r.pValue, 0.1, tolerance: 1e-15))
    let normal = try mannWhitneyU([10, 11, 12], [1, 2, 3], method: .normal)
    #expect(isClose(normal.pValue, 0.08085559837005224, tolerance: 1e-12))
  }

  // Published critical values (e.g. Siegel & Castellan, table J; Mann & Whitney 1947): for 5 against
  // 5 the two-sided 5 % critical U is 2: P(U ≤ 2) = 4/252, P(U ≤ 3) = 7/252.
  @Test func exactMatchesTheTablesForFiveAgainstFive() throws {
    let atCritical = try mannWhitneyU([1, 2, 3, 4.5, 4.7], [4, 5, 6, 7, 8])
    #expect(atCritical.u == 2)
    #expect(isClose(atCritical.pValue, 8.0 / 252, tolerance: 1e-15))
    let above = try mannWhitneyU([1, 2, 3, 4.5, 5.5], [4, 5, 6, 7, 8])
    #expect(above.u == 3)
    #expect(isClose(above.pValue, 14.0 / 252, tolerance: 1e-15))
    // Complete separation of 8 against 8: 2/C(16,8) = 2/12870.
    let eight = try mannWhitneyU([1, 2, 3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14, 15, 16])
    #expect(isClose(eight.pValue, 2.0 / 12870, tolerance: 1e-15))
  }

  // Against a brute-force enumeration of every split of the pooled ranks (Python itertools over
  // scipy.stats.rankdata), with and without ties; without ties it equals
  // scipy.stats.mannwhitneyu(method="exact").
  @Test func exactMatchesEnumeration() throws {
    let noTies = try mannWhitneyU([3.1, 4.7, 5.2, 6.0, 7.3, 8.8, 9.1], [1.2, 2.5, 2.9, 4.1, 5.5, 6.6])
    #expect(noTies.u == 34)
    #expect(isClose(noTies.pValue, 0.07342657342657342, tolerance: 1e-14))
    let ties = try mannWhitneyU([1, 2, 2, 3, 4], [2, 3, 5, 5, 6, 7])
    #expect(ties.method == .exact)
    #expect(isClose(ties.pValue, 0.06060606060606061, tolerance: 1e-14))
    let hollanderWolfe = try mannWhitneyU(x, y)
    #expect(isClose(hollanderWolfe.pValue, 0.12990538872891813, tolerance: 1e-14))
  }

  @Test func largeSamplesUseTheNormalApproximation() throws {
    let a = (0..<60).map { Double($0) }
    let b = (0..<60).map { Double($0) + 0.5 }
    let r = try mannWhitneyU(a, b)
    #expect(r.method == .normal)
  }

  @Test func badInputThrows() {
    #expect(throws: StatisticsError.emptySample(name: "a")) { try mannWhitneyU([], [1]) }
    #expect(throws: StatisticsError.nonFiniteValue(name: "b", index: 0)) {
      try mannWhitneyU([1], [.nan])
    }
    #expect(throws: StatisticsError.degenerate("all observations are tied; U has no spread")) {
      try mannWhitneyU([2, 2], [2, 2, 2])
    }
  }
}

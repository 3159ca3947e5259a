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
    let r = try mannWhitneyU(x, y)
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
    let r = try mannWhitneyU([1, 2, 2, 3, 4], [2, 3, 5, 5, 6, 7])
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

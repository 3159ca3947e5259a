// SPDX-License-Identifier: GPL-3.0-or-later

import Statistics
import Testing

@Suite struct ConfidenceIntervalTests {
  // Sample 1…10: mean 5.5, sd √(55/6) = 3.0276503540974917.
  let sample = (1...10).map(Double.init)

  @Test func ninetyFivePercentUsesT9() throws {
    // t(0.975, 9) = 2.2621571627982053 (R: qt(0.975, 9); GSL gsl_cdf_tdist_Pinv), so the half-width is
    // 2.2621571627982053 × 3.0276503540974917 / √10 = 2.1658505896681692 (scipy).
    let ci = try ConfidenceInterval.mean(of: sample)
    #expect(ci.estimate == 5.5)
    #expect(ci.level == 0.95)
    #expect(isClose(ci.halfWidth, 2.2621571627982053 * 3.0276503540974917 / 10.0.squareRoot()))
    #expect(isClose(ci.halfWidth, 2.1658505896681692))
    #expect(isClose(ci.lower, 5.5 - 2.1658505896681692))
    #expect(isClose(ci.upper, 5.5 + 2.1658505896681692))
    #expect(ci.contains(5.5))
    #expect(!ci.contains(8))
  }

  @Test func anyLevel() throws {
    // t(0.95, 9) = 1.8331129326536335 (R: qt(0.95, 9)); half-width 1.7550720133038 (scipy).
    let ci = try ConfidenceInterval.mean(of: sample, level: 0.90)
    #expect(isClose(ci.halfWidth, 1.7550720133038, tolerance: 1e-11))
  }

  @Test func badInputThrows() {
    #expect(throws: StatisticsError.invalidConfidenceLevel(1.5)) {
      try ConfidenceInterval.mean(of: sample, level: 1.5)
    }
    #expect(throws: StatisticsError.invalidConfidenceLevel(0)) {
      try ConfidenceInterval.mean(of: sample, level: 0)
    }
    #expect(throws: StatisticsError.self) { try ConfidenceInterval.mean(of: sample, level: .nan) }
    #expect(throws: StatisticsError.emptySample(name: "sample")) { try ConfidenceInterval.mean(of: []) }
    #expect(throws: StatisticsError.insufficientSample(name: "sample", count: 1, required: 2)) {
      try ConfidenceInterval.mean(of: [3])
    }
    #expect(throws: StatisticsError.nonFiniteValue(name: "sample", index: 1)) {
      try ConfidenceInterval.mean(of: [1, .nan, 3])
    }
  }
}

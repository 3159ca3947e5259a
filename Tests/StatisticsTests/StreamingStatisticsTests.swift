// SPDX-License-Identifier: GPL-3.0-or-later

import Statistics
import Testing

@Suite struct StreamingStatisticsTests {
  @Test func exactMoments() throws {
    // Same textbook sample as SummaryTests: mean 5, variance 32/7, min 2, max 9.
    let s = try StreamingStatistics()
    try s.add(contentsOf: [5, 2, 9, 4, 4, 7, 4, 5])
    #expect(s.count == 8)
    #expect(isClose(try s.mean, 5))
    #expect(isClose(try s.variance, 32.0 / 7))
    #expect(isClose(try s.standardDeviation, 2.138089935299395))
    #expect(try s.minimum == 2)
    #expect(try s.maximum == 9)
    s.reset()
    #expect(s.count == 0)
  }

  @Test func quantileIsExactBelowFiveObservations() throws {
    let s = try StreamingStatistics(quantile: 0.5)
    try s.add(contentsOf: [3, 1, 2])
    #expect(try s.quantile == 2)
  }

  // P² on a scrambled uniform grid 0…10006 (i·7919 mod 10007 is a permutation, 10007 being prime):
  // exact median 5003, exact 0.9 quantile 9005.4. An estimate, so accept 1 % of the range.
  @Test func p2EstimateIsClose() throws {
    let values = (0..<10_007).map { Double($0 * 7_919 % 10_007) }
    let median = try StreamingStatistics(quantile: 0.5)
    let p90 = try StreamingStatistics(quantile: 0.9)
    try median.add(contentsOf: values)
    try p90.add(contentsOf: values)
    #expect(p90.probability == 0.9)
    #expect(isClose(try median.quantile, 5_003, tolerance: 100))
    #expect(isClose(try p90.quantile, 9_005.4, tolerance: 100))
  }

  @Test func badInputThrows() throws {
    #expect(throws: StatisticsError.invalidProbability(1)) { try StreamingStatistics(quantile: 1) }
    let s = try StreamingStatistics()
    #expect(throws: StatisticsError.emptySample(name: "stream")) { try s.mean }
    #expect(throws: StatisticsError.emptySample(name: "stream")) { try s.quantile }
    try s.add(1)
    #expect(throws: StatisticsError.insufficientSample(name: "stream", count: 1, required: 2)) {
      try s.variance
    }
    #expect(throws: StatisticsError.nonFiniteValue(name: "value", index: 1)) { try s.add(.nan) }
    #expect(s.count == 1)
  }
}

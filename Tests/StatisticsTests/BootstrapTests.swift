// SPDX-License-Identifier: GPL-3.0-or-later

import Statistics
import Testing

@Suite struct BootstrapTests {
  let sample: [Double] = [12.1, 9.8, 11.4, 10.2, 13.7, 8.9, 10.9, 12.6, 9.4, 11.8, 10.5, 14.2]
  let mean: ([Double]) -> Double = { $0.reduce(0, +) / Double($0.count) }

  @Test func sameSeedSameInterval() throws {
    let first = try bootstrapPercentileCI(sample, statistic: mean, resamples: 2_000, seed: 42)
    let second = try bootstrapPercentileCI(sample, statistic: mean, resamples: 2_000, seed: 42)
    #expect(first == second)
    let other = try bootstrapPercentileCI(sample, statistic: mean, resamples: 2_000, seed: 43)
    #expect(other != first)
  }

  @Test func intervalIsPlausibleForTheMean() throws {
    let ci = try bootstrapPercentileCI(sample, statistic: mean, resamples: 4_000, level: 0.95, seed: 7)
    let sampleMean = mean(sample)
    #expect(ci.estimate == sampleMean)
    #expect(ci.contains(sampleMean))
    #expect(ci.lower < ci.upper)
    // The bootstrap SE of the mean is ≈ sd·√((n − 1)/n)/√n, so the 95 % half-width should be near
    // 1.96 times that; t gives 2.20·sd/√n. Accept anything between the two within 25 %.
    let t = try ConfidenceInterval.mean(of: sample)
    #expect(ci.halfWidth > 0.75 * t.halfWidth * 1.96 / 2.2)
    #expect(ci.halfWidth < 1.25 * t.halfWidth)
    // A wider level gives a wider interval from the same draws.
    let wide = try bootstrapPercentileCI(sample, statistic: mean, resamples: 4_000, level: 0.99, seed: 7)
    #expect(wide.lower <= ci.lower && wide.upper >= ci.upper)
  }

  @Test func badInputThrows() {
    #expect(throws: StatisticsError.emptySample(name: "sample")) {
      try bootstrapPercentileCI([], statistic: mean, seed: 1)
    }
    #expect(throws: StatisticsError.nonFiniteValue(name: "sample", index: 0)) {
      try bootstrapPercentileCI([.nan, 1], statistic: mean, seed: 1)
    }
    #expect(throws: StatisticsError.invalidConfidenceLevel(1.5)) {
      try bootstrapPercentileCI(sample, statistic: mean, level: 1.5, seed: 1)
    }
    #expect(throws: StatisticsError.self) {
      try bootstrapPercentileCI(sample, statistic: mean, resamples: 0, seed: 1)
    }
    #expect(throws: StatisticsError.self) {
      try bootstrapPercentileCI(sample, statistic: { _ in .nan }, resamples: 10, seed: 1)
    }
  }
}

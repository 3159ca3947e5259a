// SPDX-License-Identifier: GPL-3.0-or-later

import Statistics
import Testing

@Suite struct SummaryTests {
  // The textbook sample 2, 4, 4, 4, 5, 5, 7, 9: mean 5, population sd 2, so the n − 1 sd is
  // √(32/7) = 2.138089935299395. Quantiles by R type 7 / numpy.quantile(..., method="linear"):
  // p = 0.1 → 3.4, 0.25 → 4, 0.5 → 4.5, 0.75 → 5.5, 0.9 → 7.6 (by hand: h = 7p, x[⌊h⌋] + frac·Δ).
  let sample: [Double] = [5, 2, 9, 4, 4, 7, 4, 5]

  @Test func knownMomentsAndExtremes() throws {
    let s = try Summary(sample)
    #expect(s.count == 8)
    #expect(isClose(s.mean, 5))
    #expect(isClose(s.standardDeviation, 2.138089935299395))
    #expect(isClose(s.variance, 32.0 / 7))
    #expect(isClose(s.standardError, 2.138089935299395 / 8.0.squareRoot()))
    #expect(s.minimum == 2)
    #expect(s.maximum == 9)
    #expect(isClose(s.median, 4.5))
    #expect(s.sortedSample == [2, 4, 4, 4, 5, 5, 7, 9])
  }

  @Test func quantilesAreRType7() throws {
    let s = try Summary(sample, probabilities: [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1])
    let expected: [Double] = [2, 3.4, 4, 4.5, 5.5, 7.6, 9]
    #expect(s.probabilities == [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1])
    #expect(zip(s.quantiles, expected).allSatisfy { isClose($0, $1) })
    #expect(isClose(try s.quantile(0.9), 7.6))
    // R: quantile(1:10, 0.33) = 1 + 9 × 0.33 = 3.97.
    #expect(isClose(try Summary((1...10).map(Double.init)).quantile(0.33), 3.97))
  }

  @Test func badInputThrows() {
    #expect(throws: StatisticsError.emptySample(name: "sample")) { try Summary([]) }
    #expect(throws: StatisticsError.insufficientSample(name: "sample", count: 1, required: 2)) {
      try Summary([1])
    }
    #expect(throws: StatisticsError.nonFiniteValue(name: "sample", index: 2)) {
      try Summary([1, 2, .nan, 4])
    }
    #expect(throws: StatisticsError.nonFiniteValue(name: "sample", index: 0)) {
      try Summary([.infinity, 2])
    }
    #expect(throws: StatisticsError.invalidProbability(1.5)) { try Summary([1, 2], probabilities: [1.5]) }
    #expect(throws: StatisticsError.self) { try Summary([1, 2]).quantile(.nan) }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

import Statistics
import Testing

@Suite struct WelchTTestTests {
  // Wikipedia's example 1 gives t = −2.46, df = 24.99, p = 0.021. Full precision from
  // scipy.stats.ttest_ind(A1, A2, equal_var=False): t = −2.455356398286006, p = 0.021378001462866992;
  // df by the Welch–Satterthwaite formula = 24.988529290231416.
  @Test func wikipediaExample() throws {
    let r = try welchTTest(welchA, welchB)
    #expect(isClose(r.meanA, 20.82, tolerance: 1e-12))
    #expect(isClose(r.meanB, 22.986666666666668, tolerance: 1e-12))
    #expect(isClose(r.t, -2.455356398286006, tolerance: 1e-12))
    #expect(isClose(r.degreesOfFreedom, 24.988529290231416, tolerance: 1e-9))
    #expect(isClose(r.pValue, 0.021378001462866992, tolerance: 1e-9))
  }

  // Mean difference −2.166666666666668 ± t(0.975, df)·SE → [−3.984096267140929, −0.3492370661924069]
  // (scipy t.ppf at the Welch df).
  @Test func meanDifferenceInterval() throws {
    let d = try welchTTest(welchA, welchB).meanDifference
    #expect(isClose(d.estimate, -2.166666666666668, tolerance: 1e-12))
    #expect(isClose(d.lower, -3.984096267140929, tolerance: 1e-9))
    #expect(isClose(d.upper, -0.3492370661924069, tolerance: 1e-9))
    #expect(d.level == 0.95)
  }

  // Delta method by hand (numpy/scipy): R = m̄a/m̄b, Var R = s²a/(na·m̄b²) + m̄a²·s²b/(nb·m̄b⁴),
  // R − 1 = −0.09425754060324831, ± t(0.975, Welch df 24.9885)·√Var R (scipy t.ppf)
  // → [−0.1709690345759947, −0.017546046630501938].
  @Test func relativeDifferenceDeltaMethod() throws {
    let rel = try #require(try welchTTest(welchA, welchB).relativeDifference)
    #expect(isClose(rel.estimate, -0.09425754060324831, tolerance: 1e-12))
    #expect(isClose(rel.lower, -0.1709690345759947, tolerance: 1e-9))
    #expect(isClose(rel.upper, -0.017546046630501938, tolerance: 1e-9))
  }

  @Test func symmetricUnderSwap() throws {
    let ab = try welchTTest(welchA, welchB)
    let ba = try welchTTest(welchB, welchA)
    #expect(isClose(ab.t, -ba.t))
    #expect(isClose(ab.pValue, ba.pValue))
  }

  @Test func relativeDifferenceNilWhenBaselineMeanIsZero() throws {
    let r = try welchTTest([1, 2, 3], [-1, 0, 1])
    #expect(r.relativeDifference == nil)
    // t = 2 / √(1/3 + 1/3) = √6, df = 4 (equal n and variance).
    #expect(isClose(r.t, 6.0.squareRoot()))
    #expect(isClose(r.degreesOfFreedom, 4))
  }

  @Test func badInputThrows() {
    #expect(throws: StatisticsError.emptySample(name: "a")) { try welchTTest([], welchB) }
    #expect(throws: StatisticsError.insufficientSample(name: "b", count: 1, required: 2)) {
      try welchTTest(welchA, [1])
    }
    #expect(throws: StatisticsError.nonFiniteValue(name: "a", index: 1)) {
      try welchTTest([1, .nan, 2], welchB)
    }
    #expect(throws: StatisticsError.invalidConfidenceLevel(1.5)) {
      try welchTTest(welchA, welchB, level: 1.5)
    }
    #expect(throws: StatisticsError.degenerate("both samples have zero variance; t is undefined")) {
      try welchTTest([1, 1, 1], [2, 2])
    }
  }
}

@Suite struct CohensDTests {
  // Pooled sd √((14·s²a + 14·s²b)/28) for the Welch example; d = −0.8965693907039232 (numpy).
  @Test func pooledStandardDeviation() throws {
    #expect(isClose(try cohensD(welchA, welchB), -0.8965693907039232, tolerance: 1e-12))
    // Two samples with sd 1 each and means 3 apart: d = 3.
    #expect(isClose(try cohensD([4, 5, 6], [1, 2, 3]), 3))
  }

  @Test func badInputThrows() {
    #expect(throws: StatisticsError.emptySample(name: "b")) { try cohensD([1, 2], []) }
    #expect(throws: StatisticsError.degenerate("pooled standard deviation is zero")) {
      try cohensD([1, 1], [2, 2])
    }
  }

  // A latency that differs between replicates only in its 13th digit: d would be in the millions.
  @Test func negligibleVarianceIsDegenerate() throws {
    #expect(throws: StatisticsError.degenerate("pooled standard deviation is negligible against the means")) {
      try cohensD([161.8, 161.8, 161.8 + 1e-10], [243.7, 243.7, 243.7])
    }
    // Just above the threshold: 1e-6 spread on a mean near 1 is real variance (d defined).
    #expect(try cohensD([1, 1 + 1e-6, 1 + 2e-6], [1, 1 + 1e-6, 1 + 2e-6]) == 0)
  }
}

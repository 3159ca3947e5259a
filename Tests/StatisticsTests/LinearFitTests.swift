// SPDX-License-Identifier: GPL-3.0-or-later

import Statistics
import Testing

@Suite struct LinearFitTests {
  // Textbook points (1,2), (2,4), (3,5), (4,4), (5,5). By hand: x̄ = 3, ȳ = 4, Sxx = 10, Sxy = 6, so
  // slope 0.6, intercept 4 − 0.6·3 = 2.2; RSS = 2.4, TSS = 6, R² = 0.6; s² = RSS/3 = 0.8;
  // Var slope = s²/Sxx = 0.08; Var intercept = s²(1/n + x̄²/Sxx) = 0.88; Cov = −s²x̄/Sxx = −0.24.
  let x: [Double] = [1, 2, 3, 4, 5]
  let y: [Double] = [2, 4, 5, 4, 5]

  @Test func textbookExample() throws {
    let fit = try LinearFit(x: x, y: y)
    #expect(fit.count == 5)
    #expect(isClose(fit.slope, 0.6))
    #expect(isClose(fit.intercept, 2.2))
    #expect(isClose(fit.residualSumOfSquares, 2.4))
    #expect(isClose(fit.rSquared, 0.6))
    #expect(isClose(fit.slopeVariance, 0.08))
    #expect(isClose(fit.slopeStandardError, 0.08.squareRoot()))
    #expect(isClose(fit.interceptVariance, 0.88))
    #expect(isClose(fit.interceptStandardError, 0.88.squareRoot()))
    #expect(isClose(fit.covariance, -0.24))
  }

  // Var ŷ(x0) = s²(1/n + (x0 − x̄)²/Sxx): at x̄ it is 0.8/5 = 0.16; at x0 = 6 it is 0.8·(0.2 + 0.9) = 0.88.
  @Test func predictionWithStandardError() throws {
    let fit = try LinearFit(x: x, y: y)
    let atMean = fit.predict(3)
    #expect(isClose(atMean.value, 4))
    #expect(isClose(atMean.standardError, 0.4))
    let beyond = fit.predict(6)
    #expect(isClose(beyond.value, 5.8))
    #expect(isClose(beyond.standardError, 0.88.squareRoot()))
  }

  @Test func exactLineHasZeroErrors() throws {
    let xs: [Double] = [0, 1, 2, 3, 4, 5, 6, 7]
    let fit = try LinearFit(x: xs, y: xs.map { 0.025 + 1.5 * $0 })
    #expect(isClose(fit.slope, 1.5))
    #expect(isClose(fit.intercept, 0.025))
    #expect(isClose(fit.slopeStandardError, 0, tolerance: 1e-7))
    #expect(isClose(fit.residualSumOfSquares, 0))
    #expect(isClose(fit.rSquared, 1))
    // Constant y: TSS = 0, R² reported as 1; slope 0.
    let flat = try LinearFit(x: xs, y: xs.map { _ in 3 })
    #expect(flat.slope == 0)
    #expect(flat.rSquared == 1)
  }

  @Test func badInputThrows() {
    #expect(throws: StatisticsError.invalidArgument("x has 3 values but y has 2")) {
      try LinearFit(x: [1, 2, 3], y: [1, 2])
    }
    #expect(throws: StatisticsError.insufficientSample(name: "x", count: 2, required: 3)) {
      try LinearFit(x: [1, 2], y: [1, 2])
    }
    #expect(throws: StatisticsError.emptySample(name: "x")) { try LinearFit(x: [], y: []) }
    #expect(throws: StatisticsError.nonFiniteValue(name: "y", index: 1)) {
      try LinearFit(x: [1, 2, 3], y: [1, .nan, 3])
    }
    #expect(throws: StatisticsError.degenerate("every x is equal; the slope is undefined")) {
      try LinearFit(x: [2, 2, 2], y: [1, 2, 3])
    }
  }
}

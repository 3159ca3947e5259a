// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import SeededRandom
import Testing

@testable import Benchmarking

/// `bench epoch`'s exact-sampler floor is timed on a sampler that draws what it claims: Poisson
/// counts per block, and page coverage at the analytic probability for uniform writes.
@Suite struct ExactSamplerFloorTests {
  /// Mean and variance of 200,000 variates match the Poisson mean; P(0) matches e^−μ.
  @Test(arguments: [0.5, 3.5, 33.75])
  func poissonInversionHasThePoissonMoments(mean: Double) {
    let poisson = PoissonInversion(mean: mean)
    var generator = SplitMix64(seed: 7)
    let n = 200_000
    var sum = 0.0
    var squares = 0.0
    var zeros = 0
    for _ in 0..<n {
      let k = Double(poisson.draw(generator.next()))
      sum += k
      squares += k * k
      if k == 0 { zeros += 1 }
    }
    let sampleMean = sum / Double(n)
    let sampleVariance = squares / Double(n) - sampleMean * sampleMean
    // Five standard errors: of the mean sqrt(μ/n); of the variance about sqrt((μ + 2μ²)/n).
    #expect(abs(sampleMean - mean) < 5 * (mean / Double(n)).squareRoot())
    #expect(abs(sampleVariance - mean) < 5 * ((mean + 2 * mean * mean) / Double(n)).squareRoot())
    let p0 = exp(-mean)
    #expect(abs(Double(zeros) / Double(n) - p0) < 5 * (p0 * (1 - p0) / Double(n)).squareRoot() + 1e-9)
  }

  /// A page is covered unless no write of class c (1, 4, 8 or 16 pages, a quarter each) starts in
  /// the c pages up to it: 1 − exp(−λ · 7.25) at λ expected writes per page.
  @Test func coversPagesAtTheAnalyticRate() {
    let blocks = 2_000
    let writesPerBlock = 33.75
    let intervals = 5
    let result = ExactSamplerFloor.measure(
      blocks: blocks, writesPerBlock: writesPerBlock, intervals: intervals)
    let expectedWrites = writesPerBlock * Double(blocks * intervals)
    #expect(abs(Double(result.writes) - expectedWrites) < 5 * expectedWrites.squareRoot())
    #expect(result.pages == blocks * intervals * 512)
    let lambda = writesPerBlock / 512
    let covered = 1 - exp(-lambda * 7.25)
    // The first block of an interval has no carry from before it: at most 15 pages of
    // `intervals × 512 × blocks` short of the stationary rate, far inside the tolerance.
    let fraction = Double(result.coveredPages) / Double(result.pages)
    #expect(abs(fraction - covered) < 0.005, "covered \(fraction), expected \(covered)")
    #expect(result.nanosecondsPerWrite > 0)
  }
}

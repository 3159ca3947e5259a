// SPDX-License-Identifier: GPL-3.0-or-later

import Simulation
import Testing

/// Distribution checks use one fixed seed and 200 000 draws; tolerances are about five standard errors,
/// so they catch a wrong parameterisation (rate for mean, shape for scale) without being fragile.
@Suite struct RandomStreamTests {
  static let n = 200_000

  func draws(_ draw: (RandomStream) -> Double, seed: String) -> (mean: Double, variance: Double) {
    let stream = RandomStream(scenario: "test.distributions", replication: 0, stream: seed)
    return meanAndVariance((0..<Self.n).map { _ in draw(stream) })
  }

  @Test func seedDerivationIsPinned() {
    let seed = RandomStream.seed(scenario: "baseline", replication: 3, stream: "arrivals")
    #expect(seed == RandomStream.seed(scenario: "baseline", replication: 3, stream: "arrivals"))
    // A change of hash, separator or byte order changes this value: it must never change silently, or
    // every stored result stops being reproducible.
    #expect(seed == 0x2eb6_271a_5f9e_1f5c)
    #expect(RandomStream.seed(scenario: "baseline", replication: 4, stream: "arrivals") != seed)
    #expect(RandomStream.seed(scenario: "baseline", replication: 3, stream: "service") != seed)
    #expect(RandomStream.seed(scenario: "baselin", replication: 3, stream: "earrivals") != seed)
  }

  @Test func fnvAndSplitMixMatchPublishedValues() {
    var h = FNV1a64()
    h.combine(bytes: "a".utf8)
    #expect(h.value == 0xaf63_dc4c_8601_ec8c)  // FNV-1a 64 of "a"
    #expect(FNV1a64().value == 0xcbf2_9ce4_8422_2325)
    // First output of SplitMix64 seeded with 0 (state advanced once by the golden gamma).
    #expect(SplitMix64.mix(0) == 0xe220_a839_7b1d_cdaf)
    // The reference sequence from seed 0 (Vigna's splitmix64.c): the generator counts by the gamma.
    var g = SplitMix64(seed: 0)
    #expect(
      [g.next(), g.next(), g.next()] == [0xe220_a839_7b1d_cdaf, 0x6e78_9e6a_a1b9_65f4, 0x06c4_5d18_8009_454f])
    // The iterated form feeds each output back as the next state.
    var i = IteratedSplitMix64(state: 0)
    #expect([i.next(), i.next()] == [0xe220_a839_7b1d_cdaf, SplitMix64.mix(0xe220_a839_7b1d_cdaf)])
  }

  @Test func generatorMatchesMT19937ReferenceVector() throws {
    #expect(RandomStream.seedsUseAll64Bits)
    // mt19937ar.out: init_by_array({0x123, 0x234, 0x345, 0x456}) → 1067595299 955945823 477289528 …
    let stream = try #require(RandomStream(mt19937Key: [0x123, 0x234, 0x345, 0x456]))
    #expect(
      (0..<5).map { _ in stream.next32() } == [
        1_067_595_299, 955_945_823, 477_289_528, 4_107_218_783, 4_228_976_476,
      ])
  }

  @Test func sameSeedSameSequenceAndPinnedOutput() {
    let a = RandomStream(seed: 42)
    let b = RandomStream(seed: 42)
    let xs = (0..<1_000).map { _ in a.next32() }
    #expect(xs == (0..<1_000).map { _ in b.next32() })
    #expect(Array(xs.prefix(3)) == [3_030_895_498, 1_592_636_077, 1_610_207_081])
    let c = a.clone()
    #expect((0..<100).map { _ in a.uniform() } == (0..<100).map { _ in c.uniform() })
  }

  @Test func differentStreamsDiffer() {
    let names = ["arrivals", "service", "gc", "arrivals "]
    let sequences = names.map { name in
      let s = RandomStream(scenario: "s", replication: 0, stream: name)
      return (0..<8).map { _ in s.next32() }
    }
    #expect(Set(sequences.map { $0.map(String.init).joined(separator: ",") }).count == names.count)
    // Seeds that agree in their low 32 bits still give different streams (gsl_rng_set alone would not).
    let low = RandomStream(seed: 0x0000_0001_0000_0007)
    let high = RandomStream(seed: 0x0000_0002_0000_0007)
    #expect((0..<8).map { _ in low.next32() } != (0..<8).map { _ in high.next32() })
  }

  @Test func exponential() {
    let (mean, variance) = draws({ $0.exponential(mean: 2) }, seed: "exp")
    #expect(abs(mean - 2) < 0.025)
    #expect(abs(variance - 4) < 0.13)
    let t = RandomStream(seed: 1).exponential(mean: SimTime.milliseconds(5))
    #expect(t > .zero)
  }

  @Test func uniform() {
    let (mean, variance) = draws({ $0.uniform(2, 5) }, seed: "uniform")
    #expect(abs(mean - 3.5) < 0.01)
    #expect(abs(variance - 0.75) < 0.008)
    let s = RandomStream(seed: 3)
    for _ in 0..<10_000 {
      let u = s.uniform()
      #expect(u >= 0 && u < 1)
      #expect(s.uniformPositive() > 0)
    }
  }

  /// Pareto(shape 5, scale 2): mean ab/(a−1) = 2.5, variance ab²/((a−1)²(a−2)) = 5/12; median b·2^(1/a).
  @Test func pareto() {
    let stream = RandomStream(scenario: "test.distributions", replication: 0, stream: "pareto")
    let xs = (0..<Self.n).map { _ in stream.pareto(shape: 5, scale: 2) }
    let (mean, variance) = meanAndVariance(xs)
    #expect(xs.min()! >= 2)
    #expect(abs(mean - 2.5) < 0.008)
    #expect(abs(variance - 5.0 / 12.0) < 0.02)
    let belowMedian = Double(xs.filter { $0 < 2.297_396_709 }.count) / Double(Self.n)  // 2·2^(1/5)
    #expect(abs(belowMedian - 0.5) < 0.006)
  }

  /// Lognormal(ζ = 0, σ = 0.5): mean e^(σ²/2) = 1.133148453. Normal(3, 2).
  @Test func lognormalAndNormal() {
    let (logMean, _) = draws({ $0.lognormal(zeta: 0, sigma: 0.5) }, seed: "lognormal")
    #expect(abs(logMean - 1.133_148_453) < 0.007)
    let (mean, variance) = draws({ $0.normal(mean: 3, sd: 2) }, seed: "normal")
    #expect(abs(mean - 3) < 0.023)
    #expect(abs(variance - 4) < 0.07)
  }

  @Test func uniformIntAndBernoulli() {
    let stream = RandomStream(seed: 11)
    var counts = [Int](repeating: 0, count: 10)
    var heads = 0
    for _ in 0..<Self.n {
      counts[stream.uniformInt(10)] += 1
      if stream.bernoulli(0.3) { heads += 1 }
    }
    for c in counts {
      #expect(abs(Double(c) / Double(Self.n) - 0.1) < 0.0035)
    }
    #expect(abs(Double(heads) / Double(Self.n) - 0.3) < 0.0055)
    // Beyond 32 bits: in range, and the mean lands near n/2.
    let big = 1 << 40
    var sum = 0.0
    for _ in 0..<20_000 {
      let k = stream.uniformInt(big)
      #expect(k >= 0 && k < big)
      sum += Double(k)
    }
    #expect(abs(sum / 20_000 / Double(big) - 0.5) < 0.011)
    #expect(stream.uniformInt(1) == 0)
  }

  /// Zipf(n = 1000, s = 1): the first ranks' frequencies match k^−s / H(n, s) within five binomial standard
  /// errors, and the most popular item is index 0.
  @Test func zipfFrequencies() throws {
    let zipf = try DiscreteDistribution.zipf(n: 1_000, s: 1)
    #expect(zipf.count == 1_000)
    var harmonic = 0.0
    for k in 1...1_000 { harmonic += 1 / Double(k) }
    #expect(abs(zipf.probability(of: 0) - 1 / harmonic) < 1e-12)
    #expect(abs(zipf.probabilities.reduce(0, +) - 1) < 1e-12)
    #expect(zipf.probability(of: 1_000) == 0)

    let stream = RandomStream(seed: 7)
    var counts = [Int](repeating: 0, count: 1_000)
    for _ in 0..<Self.n {
      counts[zipf.sample(stream)] += 1
    }
    for rank in 1...10 {
      let p = 1 / (Double(rank) * harmonic)
      let frequency = Double(counts[rank - 1]) / Double(Self.n)
      let standardError = (p * (1 - p) / Double(Self.n)).squareRoot()
      #expect(abs(frequency - p) < 5 * standardError, "rank \(rank): \(frequency) vs \(p)")
    }
  }

  @Test func discreteDistributionRejectsBadWeights() {
    #expect(throws: DistributionError.noWeights) { try DiscreteDistribution(weights: []) }
    #expect(throws: DistributionError.invalidWeight(index: 1, value: -1)) {
      try DiscreteDistribution(weights: [1, -1])
    }
    #expect(throws: DistributionError.zeroTotalWeight) { try DiscreteDistribution(weights: [0, 0]) }
    #expect(throws: DistributionError.invalidParameter(name: "n", value: 0)) {
      try DiscreteDistribution.zipf(n: 0, s: 1)
    }
    #expect(throws: DistributionError.self) { try DiscreteDistribution(weights: [.nan]) }
  }

  @Test func customWeights() throws {
    let d = try DiscreteDistribution(weights: [1, 0, 3])
    let stream = RandomStream(seed: 5)
    var counts = [0, 0, 0]
    for _ in 0..<40_000 { counts[d.sample(stream)] += 1 }
    #expect(counts[1] == 0)
    #expect(abs(Double(counts[2]) / 40_000 - 0.75) < 0.011)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Simulation
import Testing
import Workloads

/// The epoch sampler (docs/simulation.md#epoch-resolution) draws what the request-level generator's
/// requests of an interval do: Poisson counts, per-block counts multinomial over the address
/// distribution, coverage as the union of the writes, exact block-boundary splitting.
@Suite struct EpochSamplerTests {
  static let blockPages = 512

  func sampler(_ distribution: AddressDistribution, pages: Int, sizes: String = "4k") throws
    -> EpochWriteSampler
  {
    let mix = try SizeMix(parsing: sizes)
    let region: Range<UInt64> = 0..<UInt64(pages * 8)
    let placement: EpochWriteSampler.Placement
    if case .sequential = distribution {
      placement = .sequential
    } else {
      placement = .random(
        try AddressSampler(
          distribution: distribution, alignment: .aligned4K, region: region,
          maximumRequestSectors: mix.maximumBytes / 512))
    }
    return try EpochWriteSampler(
      placement: placement, sizes: mix, region: region, diskSectors: region.upperBound)
  }

  /// Per-block write counts summed over intervals (4 KiB writes: one segment each).
  func blockCounts(
    _ s: inout EpochWriteSampler, blocks: Int, intervals: Int, mean: Double, random: RandomStream
  )
    -> [Int]
  {
    var counts = [Int](repeating: 0, count: blocks)
    for _ in 0..<intervals {
      _ = s.sample(expectedRequests: mean, readFraction: 0, random: random)
      for i in s.writes.blocks.indices { counts[s.writes.blocks[i]] += s.writes.segments(i) }
    }
    return counts
  }

  @Test func readAndWriteCountsArePoissonWithTheirMeans() throws {
    var s = try sampler(.uniform, pages: 64 * Self.blockPages)
    let random = RandomStream(scenario: "epoch", replication: 0, stream: "counts")
    var reads: [Double] = []
    var writes: [Double] = []
    for _ in 0..<2_000 {
      let r = s.sample(expectedRequests: 400, readFraction: 0.3, random: random)
      reads.append(Double(r.reads))
      writes.append(Double(r.writes))
      #expect(r.writes == s.writes.writes)
    }
    for (xs, mean) in [(reads, 120.0), (writes, 280.0)] {
      let m = xs.reduce(0, +) / Double(xs.count)
      let v = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)
      // Standard error of the mean sqrt(mean/2000) ≈ 0.24 (reads), 0.37 (writes): 5 SE bounds.
      #expect(abs(m - mean) < 5 * (mean / 2000).squareRoot(), "mean \(m), expected \(mean)")
      // Poisson: variance = mean (the sample variance's SE is about mean·sqrt(2/n) ≈ 3 %).
      #expect(abs(v / mean - 1) < 0.15, "variance \(v) against mean \(mean)")
    }
  }

  @Test func uniformBlockCountsAreMultinomial() throws {
    let blocks = 64
    var s = try sampler(.uniform, pages: blocks * Self.blockPages)
    let counts = blockCounts(
      &s, blocks: blocks, intervals: 200, mean: 500,
      random: RandomStream(scenario: "epoch", replication: 0, stream: "uniform"))
    let test = chiSquare(
      observed: counts, probabilities: [Double](repeating: 1.0 / Double(blocks), count: blocks))
    #expect(test.p > 0.001, "chi-square \(test.statistic) on \(test.degreesOfFreedom) df")
    #expect(counts.reduce(0, +) > 90_000)
  }

  @Test func zipfAndHotSetBlockCountsFollowTheirDistributions() throws {
    let blocks = 16
    let pages = blocks * Self.blockPages
    let zipf = try AddressSampler(
      distribution: .zipf(theta: 1.2), alignment: .aligned4K, region: 0..<UInt64(pages * 8),
      maximumRequestSectors: 8)
    var expected = [Double](repeating: 0, count: blocks)
    for p in 0..<pages { expected[p / Self.blockPages] += zipf.zipfBinProbability(p) }
    var s = try sampler(.zipf(theta: 1.2), pages: pages)
    var counts = blockCounts(
      &s, blocks: blocks, intervals: 100, mean: 1000,
      random: RandomStream(scenario: "epoch", replication: 0, stream: "zipf"))
    var test = chiSquare(observed: counts, probabilities: expected)
    #expect(test.p > 0.001, "Zipf: chi-square \(test.statistic) on \(test.degreesOfFreedom) df")

    // Hot set 80 % of requests to the first 25 % (4 blocks) of the pages.
    s = try sampler(.hotSet(requestFraction: 0.8, diskFraction: 0.25), pages: pages)
    counts = blockCounts(
      &s, blocks: blocks, intervals: 100, mean: 1000,
      random: RandomStream(scenario: "epoch", replication: 0, stream: "hot"))
    expected = (0..<blocks).map { $0 < 4 ? 0.8 / 4 : 0.2 / 12 }
    test = chiSquare(observed: counts, probabilities: expected)
    #expect(test.p > 0.001, "hot set: chi-square \(test.statistic) on \(test.degreesOfFreedom) df")
  }

  @Test func uniformCoverageIsOneMinusExpOfMinusLambda() throws {
    // λ = expected writes per page; a page is covered when at least one 4 KiB write lands on it.
    let pages = 16 * Self.blockPages
    var s = try sampler(.uniform, pages: pages)
    let random = RandomStream(scenario: "epoch", replication: 0, stream: "coverage")
    for lambda in [0.25, 1.0, 3.0] {
      var covered = 0.0
      let intervals = 50
      for _ in 0..<intervals {
        _ = s.sample(expectedRequests: lambda * Double(pages), readFraction: 0, random: random)
        var sectors = 0
        for i in s.writes.blocks.indices { sectors += s.writes.coveredSectors(i) }
        covered += Double(sectors) / Double(pages * 8)
      }
      let mean = covered / Double(intervals)
      let theory = 1 - exp(-lambda)
      // Per interval SD ≈ sqrt(p(1−p)/pages) ≤ 0.0056 (plus the Poisson count's), over 50 intervals
      // about 0.001: a bound of 0.005 is five of those.
      #expect(abs(mean - theory) < 0.005, "λ \(lambda): covered \(mean), 1 − e^−λ = \(theory)")
    }
  }

  @Test func writesSplitExactlyAtBlockBoundaries() {
    var set = EpochWriteSet(diskSectors: 3 * 4096)
    set.add(sector: 4096 - 8, count: 128)  // 8 sectors in block 0, 120 in block 1
    set.add(sector: 2 * 4096 + 64, count: 64)
    set.add(sector: 4096 + 200, count: 8)
    #expect(set.blocks == [0, 1, 2])
    #expect(set.writes == 3 && set.writtenSectors == 200)
    #expect((0..<3).map { set.segments($0) } == [1, 2, 1])
    #expect((0..<3).map { set.coveredSectors($0) } == [8, 128, 64])
    set.withMask(0) { #expect($0[63] == 0xFF && $0[62] == 0) }
    set.withMask(1) {
      #expect($0[0] == ~0 && $0[1] == ~UInt64(0) << 8)
      #expect($0[3] == 0xFF << 48)  // sectors 200..<208: word 3, bits 63−8 … 63−15
    }
    set.withMask(2) { #expect($0[0] == 0 && $0[1] == ~0 && $0[2] == 0) }
    set.removeAll()
    #expect(set.blocks.isEmpty && set.writes == 0)
    set.add(sector: 0, count: 8)
    #expect(set.blocks == [0] && set.coveredSectors(0) == 8)
  }

  @Test func sequentialWritesFollowTheCursorAndWrap() throws {
    // 4 blocks, 64 KiB requests, all writes: each interval continues where the last one stopped.
    var s = try sampler(.sequential(strideBytes: nil), pages: 4 * Self.blockPages, sizes: "64k")
    let random = RandomStream(scenario: "epoch", replication: 0, stream: "sequential")
    var total = 0
    while total < 100 {
      let r = s.sample(expectedRequests: 20, readFraction: 0, random: random)
      var covered = 0
      for i in s.writes.blocks.indices { covered += s.writes.coveredSectors(i) }
      // 128 requests of 128 sectors fill the 4 blocks exactly; before the wrap nothing overlaps.
      if total + r.writes <= 128 { #expect(covered == r.writes * 128) }
      if r.writes > 0 {
        #expect(s.writes.blocks.first == (total * 128 % 16384) / 4096)
      }
      total += r.writes
    }
  }
}

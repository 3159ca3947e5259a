// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Simulation
import Testing
import Workloads

@Suite struct AddressDistributionTests {
  @Test func zipfPageFrequenciesMatchTheory() throws {
    // 64 pages: one alias entry per page.
    let sampler = try AddressSampler(
      distribution: .zipf(theta: 1.2), alignment: .aligned4K, region: 0..<(64 * 8), maximumRequestSectors: 8)
    #expect(sampler.pages == 64)
    #expect(sampler.pagesPerBin == 1)
    let random = RandomStream(scenario: "zipf", replication: 0, stream: "addresses")
    var counts = [Int](repeating: 0, count: 64)
    for _ in 0..<100_000 { counts[sampler.samplePage(random)] += 1 }
    var expected = [Double](repeating: 0, count: 64)
    let h = (1...64).reduce(0.0) { $0 + pow(Double($1), -1.2) }
    for k in 0..<64 { expected[k] = pow(Double(k + 1), -1.2) / h }
    let test = chiSquare(observed: counts, probabilities: expected)
    #expect(test.p > 0.001, "chi-square \(test.statistic) on \(test.degreesOfFreedom) df")
  }

  @Test func zipfOnALargeDiskUsesBoundedHotBins() throws {
    // 2^20 pages (4 GiB) → 2^16 bins of 16 pages each.
    let pages = 1 << 20
    let sampler = try AddressSampler(
      distribution: .zipf(theta: 1.0), alignment: .aligned4K, region: 0..<UInt64(pages * 8),
      maximumRequestSectors: 8)
    #expect(sampler.zipfBins == AddressSampler.maximumZipfBins)
    #expect(sampler.pagesPerBin == 16)
    let random = RandomStream(scenario: "zipf-bins", replication: 0, stream: "addresses")
    // Group bins into 16 coarse groups: first 15 single bins, then the rest.
    var counts = [Int](repeating: 0, count: 16)
    let n = 200_000
    for _ in 0..<n {
      let bin = sampler.samplePage(random) / sampler.pagesPerBin
      counts[min(bin, 15)] += 1
    }
    var expected = (0..<15).map { sampler.zipfBinProbability($0) }
    expected.append(1 - expected.reduce(0, +))
    let test = chiSquare(observed: counts, probabilities: expected)
    #expect(test.p > 0.001, "chi-square \(test.statistic) on \(test.degreesOfFreedom) df")
    // Within a bin, pages are uniform: bin 0's pages 0..<16 all appear.
    var seen = Set<Int>()
    for _ in 0..<5_000 {
      let page = sampler.samplePage(random)
      if page < 16 { seen.insert(page) }
    }
    #expect(seen.count == 16)
  }

  @Test func paretoFrequenciesMatchThePowerLaw() throws {
    let shape = 0.5
    let sampler = try AddressSampler(
      distribution: .pareto(shape: shape), alignment: .aligned4K, region: 0..<(1024 * 8),
      maximumRequestSectors: 8)
    #expect(sampler.pages == 1024)
    let random = RandomStream(scenario: "pareto", replication: 0, stream: "addresses")
    var counts = [Int](repeating: 0, count: 16)
    for _ in 0..<100_000 { counts[sampler.samplePage(random) / 64] += 1 }
    let expected = (0..<16).map { g in pow(Double(g + 1) / 16, shape) - pow(Double(g) / 16, shape) }
    let test = chiSquare(observed: counts, probabilities: expected)
    #expect(test.p > 0.001, "chi-square \(test.statistic) on \(test.degreesOfFreedom) df")
  }

  @Test func hotSetGetsItsShareOfRequests() throws {
    let workload = SyntheticWorkload(
      address: .hotSet(requestFraction: 0.9, diskFraction: 0.1), region: 0..<(10_000 * 8))
    var generator = try SyntheticGenerator(workload, streams: streams(7))
    let n = 50_000
    let requests = draw(&generator, n)
    let hotLimit = UInt64(1000 * 8)  // 10 % of 10 000 pages
    let hot = requests.filter { $0.lba < hotLimit }.count
    let fraction = Double(hot) / Double(n)
    let halfWidth = 3.29 * (0.9 * 0.1 / Double(n)).squareRoot()
    #expect(abs(fraction - 0.9) < halfWidth, "hot fraction \(fraction)")
    #expect(requests.allSatisfy { $0.endLBA <= 80_000 && $0.lba % 8 == 0 })
  }

  @Test func sequentialWithStrideWraps() throws {
    let workload = SyntheticWorkload(
      sizes: SizeMix(bytes: 8192), readFraction: 1, address: .sequential(strideBytes: 65536),
      region: 1024..<(1024 + 512))
    var generator = try SyntheticGenerator(workload, streams: streams())
    let lbas = draw(&generator, 6).map(\.lba)
    #expect(lbas == [1024, 1152, 1280, 1408, 1024, 1152])
    let contiguous = SyntheticWorkload(
      sizes: SizeMix(bytes: 4096), readFraction: 0, address: .sequential(strideBytes: nil), region: 0..<24)
    var g2 = try SyntheticGenerator(contiguous, streams: streams())
    #expect(draw(&g2, 4).map(\.lba) == [0, 8, 16, 0])
  }

  @Test func unalignedRequestsStayInsideTheRegion() throws {
    let workload = SyntheticWorkload(
      sizes: try SizeMix(parsing: "4k/50:64k/50"), alignment: .sectorUnaligned, region: 0..<(256 * 8))
    var generator = try SyntheticGenerator(workload, streams: streams(3))
    let requests = draw(&generator, 20_000)
    #expect(requests.allSatisfy { $0.endLBA <= 2048 })
    var offsets = Set<UInt64>()
    for r in requests { offsets.insert(r.lba % 8) }
    #expect(offsets.count == 8)
  }

  @Test func regionTooSmallIsAnError() {
    #expect(throws: WorkloadError.self) {
      _ = try AddressSampler(
        distribution: .uniform, alignment: .aligned4K, region: 0..<8, maximumRequestSectors: 16)
    }
    #expect(throws: WorkloadError.self) {
      _ = try AddressSampler(
        distribution: .zipf(theta: -1), alignment: .aligned4K, region: 0..<800, maximumRequestSectors: 8)
    }
  }
}

@Suite struct SizeMixTests {
  @Test func bssplitParsesAndSamplesInProportion() throws {
    let mix = try SizeMix(parsing: "4k/60:16k/25:64k/15")
    #expect(mix.entries.map(\.bytes) == [4096, 16384, 65536])
    #expect(mix.description == "4k/60:16k/25:64k/15")
    let workload = SyntheticWorkload(sizes: mix, region: 0..<(1 << 21))
    var generator = try SyntheticGenerator(workload, streams: streams(11))
    var counts = [0, 0, 0]
    for r in draw(&generator, 60_000) {
      counts[[8: 0, 32: 1, 128: 2][r.sectors]!] += 1
    }
    let test = chiSquare(observed: counts, probabilities: [0.6, 0.25, 0.15])
    #expect(test.p > 0.001, "chi-square \(test.statistic), counts \(counts)")
  }

  @Test func unweightedEntriesShareTheRemainder() throws {
    let mix = try SizeMix(parsing: "4k/50:8K:16kib")
    #expect(mix.entries.map(\.weight) == [0.5, 0.25, 0.25])
    #expect(mix.entries.map(\.bytes) == [4096, 8192, 16384])
    #expect(try SizeMix(parsing: "1m").entries.map(\.bytes) == [1 << 20])
    #expect(try SizeMix(parsing: "512/100").maximumBytes == 512)
  }

  @Test(arguments: [
    ("4k/60:16k/50", "percentages add up to 110.0, more than 100"),
    ("4k/60:16k/30", "percentages add up to 90.0, not 100"),
    ("4x/100", "entry 1: \"4x\" is not a size like 4k, 64K, 1m or 4096"),
    ("1000/100", "entry 1: size 1000 is not a positive multiple of 512 bytes"),
    ("4k/abc", "entry 1: \"abc\" is not a percentage in 0...100"),
    ("4k/50/2", "entry 1 \"4k/50/2\" is not SIZE or SIZE/PERCENT"),
    ("4k/100:", "entry 2: \"\" is not a size like 4k, 64K, 1m or 4096"),
    ("4k/0", "percentages add up to 0.0, not 100"),
  ])
  func badMixesSayWhy(text: String, reason: String) {
    #expect(throws: SizeMixError(text: text, reason: reason)) { try SizeMix(parsing: text) }
  }
}

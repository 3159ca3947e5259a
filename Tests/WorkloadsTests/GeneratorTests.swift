// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import Testing
import Workloads

@Suite struct ArrivalTests {
  @Test func poissonMeanInterarrivalIsWithinItsConfidenceInterval() throws {
    let workload = SyntheticWorkload(arrivals: .poisson(ratePerSecond: 1000), region: 0..<(1 << 20))
    var generator = try SyntheticGenerator(workload, streams: streams(5))
    #expect(generator.loop == .open)
    let n = 40_000
    let requests = draw(&generator, n)
    let meanGap = requests.last!.time.seconds / Double(n)
    // Exponential: sd = mean, so the 99.9 % interval of the mean is ±3.29·mean/√n.
    let halfWidth = 3.29 * 1e-3 / Double(n).squareRoot()
    #expect(abs(meanGap - 1e-3) < halfWidth, "mean gap \(meanGap)")
    #expect(zip(requests, requests.dropFirst()).allSatisfy { $0.time <= $1.time })
  }

  @Test func constantRateIsExact() throws {
    let workload = SyntheticWorkload(arrivals: .constantRate(ratePerSecond: 250), region: 0..<(1 << 20))
    var generator = try SyntheticGenerator(workload, streams: streams())
    let times = draw(&generator, 5).map(\.time.nanoseconds)
    #expect(times == [0, 4_000_000, 8_000_000, 12_000_000, 16_000_000])
  }

  @Test func onOffLongRunRateIsTheOnShare() throws {
    // ON 10 ms, OFF 30 ms at 10 000/s: long-run rate 2 500/s.
    let workload = SyntheticWorkload(
      arrivals: .onOff(ratePerSecond: 10_000, meanOn: .milliseconds(10), meanOff: .milliseconds(30)),
      region: 0..<(1 << 20))
    var generator = try SyntheticGenerator(workload, streams: streams(9))
    let n = 100_000
    let requests = draw(&generator, n)
    let rate = Double(n) / requests.last!.time.seconds
    #expect(abs(rate - 2_500) < 150, "rate \(rate)")
  }

  @Test func closedLoopAddsThinkTime() throws {
    let workload = SyntheticWorkload(
      arrivals: .closedLoop(ioDepth: 4, thinkTime: .microseconds(50)), region: 0..<(1 << 20))
    var generator = try SyntheticGenerator(workload, streams: streams())
    #expect(generator.loop == .closed(ioDepth: 4))
    #expect(generator.next(now: .milliseconds(3))?.time == .milliseconds(3) + .microseconds(50))
  }

  @Test func badParametersAreErrors() {
    #expect(throws: WorkloadError.self) {
      _ = try SyntheticGenerator(
        SyntheticWorkload(arrivals: .poisson(ratePerSecond: 0), region: 0..<1024), streams: streams())
    }
    #expect(throws: WorkloadError("read fraction 1.5 is not in 0...1")) {
      _ = try SyntheticGenerator(SyntheticWorkload(readFraction: 1.5, region: 0..<1024), streams: streams())
    }
  }
}

@Suite struct MixTests {
  @Test func readWriteFlushAndFUAProportions() throws {
    let workload = SyntheticWorkload(
      readFraction: 0.3, flushProbability: 0.05, fuaProbability: 0.2, region: 0..<(1 << 20))
    var generator = try SyntheticGenerator(workload, streams: streams(21))
    let requests = draw(&generator, 40_000)
    let flushes = requests.filter { $0.operation == .flush }.count
    let reads = requests.filter { $0.operation == .read }.count
    let writes = requests.filter { $0.operation == .write }
    let fua = writes.filter { $0.flags.contains(.fua) }.count
    let test = chiSquare(
      observed: [flushes, reads, writes.count], probabilities: [0.05, 0.95 * 0.3, 0.95 * 0.7])
    #expect(test.p > 0.001, "flush/read/write chi-square \(test.statistic)")
    let fuaShare = Double(fua) / Double(writes.count)
    #expect(abs(fuaShare - 0.2) < 3.29 * (0.2 * 0.8 / Double(writes.count)).squareRoot())
    #expect(requests.filter { $0.operation == .read && !$0.flags.isEmpty }.isEmpty)
  }
}

@Suite struct DeterminismTests {
  func workload() throws -> SyntheticWorkload {
    SyntheticWorkload(
      arrivals: .poisson(ratePerSecond: 500), sizes: try SizeMix(parsing: "4k/60:16k/25:64k/15"),
      readFraction: 0.6, flushProbability: 0.02, address: .zipf(theta: 0.9), region: 0..<(1 << 22))
  }

  @Test func sameSeedSameSequence() throws {
    var a = try SyntheticGenerator(workload(), streams: streams(42))
    var b = try SyntheticGenerator(workload(), streams: streams(42))
    let ra = draw(&a, 2_000)
    let rb = draw(&b, 2_000)
    #expect(ra.count == 2_000)
    #expect(firstDifference(ra, rb) == nil)
  }

  @Test func differentSeedsDiffer() throws {
    var a = try SyntheticGenerator(workload(), streams: streams(42))
    var b = try SyntheticGenerator(workload(), streams: streams(43))
    let ra = draw(&a, 200)
    let rb = draw(&b, 200)
    let same = zip(ra, rb).filter { $0.lba == $1.lba && $0.time == $1.time }.count
    #expect(same < 20, "\(same) of 200 identical")
  }

  @Test func addingFlagDrawsDoesNotShiftAddressesOrSizes() throws {
    var plain = try workload()
    plain.flushProbability = 0
    var flagged = plain
    flagged.fuaProbability = 0.5
    flagged.syncProbability = 0.3
    var a = try SyntheticGenerator(plain, streams: streams(8))
    var b = try SyntheticGenerator(flagged, streams: streams(8))
    let ra = draw(&a, 1_000)
    let rb = draw(&b, 1_000)
    #expect(ra.map(\.lba) == rb.map(\.lba))
    #expect(ra.map(\.sectors) == rb.map(\.sectors))
    #expect(ra.map(\.time) == rb.map(\.time))
    #expect(rb.contains { $0.flags.contains(.fua) })
  }

  @Test func presetsAreDeterministic() throws {
    for preset in WorkloadPreset.allCases {
      var a = try preset.makeGenerator(requests: 500, seed: 3, diskSectors: 1 << 21)
      var b = try preset.makeGenerator(requests: 500, seed: 3, diskSectors: 1 << 21)
      let sa = summarize(&a, addressSpaceSectors: 1 << 21)
      let sb = summarize(&b, addressSpaceSectors: 1 << 21)
      // yum-small is a finite install of about 125 requests; the others run as long as asked.
      #expect(sa.requests == (preset == .yumSmall ? min(500, sa.requests) : 500), "\(preset)")
      #expect(sa.requests > 100, "\(preset)")
      #expect(sa.json == sb.json, "\(preset)")
    }
  }
}

@Suite struct FragmentingTests {
  @Test func fullBlockFractionIsExactOnAConstructedCase() {
    var coverage = BlockCoverage(diskSectors: 4 * 4096)
    #expect(coverage.blocks == 4)
    // Block 0: filled by 512 aligned 4 KiB writes.
    for i in 0..<512 { coverage.recordWrite(lba: UInt64(i * 8), sectors: 8) }
    // Block 1: all but its last sector.
    coverage.recordWrite(lba: 4096, sectors: 4095)
    // Block 2: overlapping unaligned writes that together cover it, one crossing into block 3.
    coverage.recordWrite(lba: 8192, sectors: 3000)
    coverage.recordWrite(lba: 8192 + 2000, sectors: 2000)
    coverage.recordWrite(lba: 8192 + 3999, sectors: 100)  // 97 in block 2, 3 in block 3
    coverage.recordWrite(lba: 8192, sectors: 4096)  // rewrite: changes nothing
    #expect(coverage.touchedBlocks == 4)
    #expect(coverage.fullBlocks == 2)
    #expect(coverage.fullBlockFraction == 0.5)
    #expect(coverage.writtenSectors(inBlock: 1) == 4095)
    #expect(coverage.writtenSectors(inBlock: 3) == 3)
    // Finishing block 1.
    coverage.recordWrite(lba: 8191, sectors: 1)
    #expect(coverage.fullBlocks == 3)
    #expect(coverage.fullBlockFraction == 0.75)
  }

  @Test func generatorKeepsWritesInsideBlocksAndTracksThem() throws {
    let workload = FragmentingWorkload(diskSectors: 64 * 4096, spreadBlocks: 16, requestLimit: 3_000)
    var generator = try FragmentingGenerator(workload, streams: streams(4))
    let requests = draw(&generator, 10_000)
    #expect(requests.count == 3_000)
    #expect(requests.allSatisfy { $0.operation == .write && $0.sectors == 8 && $0.lba % 8 == 0 })
    #expect(requests.allSatisfy { $0.lba / 4096 == ($0.endLBA - 1) / 4096 && ($0.lba / 4096) % 4 == 0 })
    var check = BlockCoverage(diskSectors: 64 * 4096)
    for r in requests { check.recordWrite(lba: r.lba, sectors: r.sectors) }
    #expect(generator.coverage.touchedBlocks == check.touchedBlocks)
    #expect(generator.coverage.fullBlocks == check.fullBlocks)
    #expect(generator.coverage.touchedBlocks == 16)
    // 3 000 random 4 KiB writes over 16 × 512 pages fill none.
    #expect(generator.coverage.fullBlockFraction == 0)
  }

  @Test func oneBlockHammeredLongEnoughFills() throws {
    let workload = FragmentingWorkload(diskSectors: 4096, requestLimit: 20_000)
    var generator = try FragmentingGenerator(workload, streams: streams(2))
    _ = draw(&generator, 20_000)
    #expect(generator.coverage.fullBlockFraction == 1)
  }
}

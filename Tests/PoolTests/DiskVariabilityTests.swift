// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing

@Suite struct DiskVariabilityTests {
  /// Service times of `n` single 4 KiB random reads, one at a time, 1 ms apart.
  func draws(_ model: any DiskModel, seed: UInt64, n: Int = 200, write: Bool = false) -> [Int64] {
    var m = model
    m.reseed(seed)
    var out: [Int64] = []
    for i in 0..<n {
      let offset = UInt64(i * 7919 % 1000) << 20
      let op = DiskOp(offset: offset, length: 4096, isWrite: write)
      out.append(m.serviceTime([op], at: SimTime.milliseconds(i)).nanoseconds)
    }
    return out
  }

  @Test func sameSeedSameServiceTimesOtherSeedOthers() {
    for model: any DiskModel in [SSDModel.nvmeDatacenter, RotatingDiskModel.sata7200, ISCSIModel.iscsi10GbE] {
      let a = draws(model, seed: 11)
      #expect(a == draws(model, seed: 11))
      #expect(a != draws(model, seed: 12))
      #expect(Set(a).count > 100, "\(type(of: model)) draws vary")
    }
  }

  @Test func lognormalPresetsKeepTheirDataSheetMean() {
    let reads = draws(SSDModel.nvmeDatacenter, seed: 3, n: 20_000)
    let mean = Double(reads.reduce(0, +)) / Double(reads.count)
    // 80 µs latency + 4096 B at 3 GB/s (1.366 µs): the sample mean within 1 % (σ 0.25: sd/mean ≈ 0.25/√20000).
    #expect(abs(mean - 81_366) / 81_366 < 0.01, "mean \(mean) ns")
    let sorted = reads.sorted()
    #expect(sorted[19_800] > sorted[10_000] * 3 / 2, "p99 above 1.5 × p50")
  }

  @Test func variabilityOffIsTheMeanEveryTime() {
    let fixed = draws(SSDModel.nvmeDatacenter.deterministic, seed: 5)
    #expect(Set(fixed) == [81_366])
    #expect(Set(draws(ISCSIModel.iscsi10GbE.deterministic, seed: 5, n: 50)).count <= 2)
  }

  @Test func quantileTableInterpolatesLinearly() throws {
    let t = try QuantileTable(probabilities: [0, 0.5, 0.9, 1], nanoseconds: [10, 20, 100, 200])
    #expect(t.value(at: 0.25) == 15)
    #expect(abs(t.value(at: 0.7) - 60) < 1e-9)
    #expect(abs(t.value(at: 0.95) - 150) < 1e-9)
    #expect(t.value(at: 0) == 10 && t.value(at: 1) == 200)
    #expect(abs(t.mean - (0.5 * 15 + 0.4 * 60 + 0.1 * 150)) < 1e-9)
    #expect(throws: QuantileTable.Problem.valuesDecreasing) {
      try QuantileTable(probabilities: [0, 1], nanoseconds: [5, 4])
    }
    #expect(throws: QuantileTable.Problem.notFromZeroToOne) {
      try QuantileTable(probabilities: [0.1, 1], nanoseconds: [5, 6])
    }
  }

  @Test func sizeClassesInterpolateAtOneQuantile() throws {
    let small = try QuantileTable(probabilities: [0, 1], nanoseconds: [100, 300])
    let large = try QuantileTable(probabilities: [0, 1], nanoseconds: [1_000, 3_000])
    let l = try #require(
      SizeClassLatency([
        .init(bytes: 65_536, latency: .empirical(large)), .init(bytes: 4096, latency: .empirical(small)),
      ]))
    #expect(l.value(bytes: 512, at: 0.5) == 200)
    #expect(l.value(bytes: 4096 + (65_536 - 4096) / 2, at: 0.5) == 1_100)
    #expect(l.value(bytes: 1 << 20, at: 0) == 1_000)
    #expect(SizeClassLatency([]) == nil)
  }

  @Test func writeStallsAddTheirDuration() {
    var m = SSDModel.nvmeDatacenter.deterministic
    m.writeStall = WriteStall(probability: 1, duration: .fixed(.milliseconds(2)))
    let w = draws(m, seed: 1, n: 5, write: true)
    // 20 µs + 2 ms stall + 4096 B at 2 GB/s (2.048 µs).
    #expect(Set(w) == [2_022_048])
  }
}

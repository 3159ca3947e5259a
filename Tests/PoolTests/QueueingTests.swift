// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing
import VHD

/// The disk FIFO against queueing theory: Poisson guest reads that each cost exactly one device I/O of
/// fixed service time make the disk an M/D/1 queue.
@Suite struct QueueingTests {
  /// 100 µs per read (latency only, infinite bandwidth), one channel.
  static let fixed = SSDModel(
    readLatency: .microseconds(100), writeLatency: .microseconds(100), readBandwidth: .infinity,
    writeBandwidth: .infinity, channels: 1, capacityBytes: 1 << 40)

  func run(seed: UInt64, rate: Double, seconds: Double) throws -> (RunResult, PoolSimulation) {
    let (pool, vdi) = try makePool(depth: 1, disk: Self.fixed, seed: seed, maxOutstanding: 1 << 20)
    try pool.addVM(vdi: vdi, workload: WorkloadSpec(arrivals: .openLoop(ratePerSecond: rate)))
    return (try pool.run(for: .seconds(seconds)), pool)
  }

  @Test func mD1MeanResponseMatchesTheory() throws {
    // ρ = 0.5: W = S + ρS / (2(1 − ρ)) = 100 + 50 = 150 µs.
    var means: [Double] = []
    for rep in 0..<10 {
      let (r, _) = try run(seed: UInt64(100 + rep), rate: 5_000, seconds: 4)
      // Every read is one BAT probe, one BATmap shortcut and one 4 KiB data read.
      #expect(r.io.deviceIOs == r.requests)
      #expect(r.chain.levels[0].batmapShortcuts == r.requests)
      means.append(r.latency.all.mean.microseconds)
    }
    let ci = confidence999(means)
    #expect(abs(ci.mean - 150) <= ci.halfWidth, "mean \(ci.mean) ± \(ci.halfWidth) µs, theory 150 µs")
    #expect(ci.halfWidth < 5)
  }

  @Test func littlesLawHoldsOnTheDiskQueue() throws {
    let (r, pool) = try run(seed: 5, rate: 8_000, seconds: 5)
    let stats = r.disks[0]
    let totals = pool.diskTotals
    let lambda = Double(totals.completed) / r.duration.seconds
    let w = totals.responseSum.seconds / Double(totals.completed)
    #expect(
      abs(stats.meanInSystem - lambda * w) / stats.meanInSystem < 0.005,
      "L \(stats.meanInSystem) λW \(lambda * w)")
    // Utilisation is λ·S.
    #expect(abs(stats.utilization - lambda * 100e-6) < 1e-3)
  }
}

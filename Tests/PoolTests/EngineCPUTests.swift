// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing
import VHD

/// docs/simulation.md#engine-cpu-time: a profile's engine processor time delays each request.
@Suite struct EngineCPUTests {
  func latencies(_ cpu: EngineCPUCost, ioDepth: Int) throws -> [Int64] {
    try requests(cpu, ioDepth: ioDepth).map(\.latency)
  }

  /// Each request's latency, its engine I/Os and the device I/Os its tapdisk's thread collected, by
  /// issue time.
  func requests(_ cpu: EngineCPUCost, ioDepth: Int, baseFill: Double = 1) throws -> [(
    latency: Int64, ios: Int64, collected: Int64
  )] {
    let disk = DiskProfile(name: "nvme", model: SSDModel.nvmeDatacenter, variability: false, engineCPU: cpu)
    let scenario = PoolScenario(
      chain: ChainSpec(depth: 1, virtualSize: 64 << 20, baseFill: baseFill, writesPerSnapshot: 0, seed: 3),
      workload: WorkloadSpec(readFraction: 0.7, arrivals: .closedLoop(ioDepth: ioDepth)), disk: disk,
      duration: .milliseconds(20), recordTrace: true)
    let trace = try scenario.run().trace.sorted { $0.issued < $1.issued }
    return trace.map {
      (($0.completed - $0.issued).nanoseconds, Int64($0.iosByKind.reduce(0, +)), Int64($0.io.count))
    }
  }

  /// With a per-I/O time the thread spends it collecting each device I/O of a request, one after
  /// another at depth 1 (the nvme preset, variability off, times a request's I/Os the same whether
  /// asked for together or one at a time). An engine I/O is one device I/O unless it crosses an SR
  /// extent (1 MiB on a file SR). A block's zeroing is a system call the thread makes in place
  /// (docs/simulation.md#the-tapdisk-thread-in-turns): nothing to collect.
  @Test func eachIOCollectedCostsThePerIOTime() throws {
    let cost = EngineCPUCost(perRequest: .zero, perLevel: .zero, perIO: .microseconds(7))
    // A full base: every request is one 4 KiB I/O (or none): exactly 7 µs longer each.
    let without = try requests(.none, ioDepth: 1)
    let with = try requests(cost, ioDepth: 1)
    let n = Swift.min(without.count, with.count)
    #expect(n > 50)
    for (a, b) in zip(with.prefix(n), without.prefix(n)) {
      #expect(a.ios == b.ios && a.latency - b.latency == 7_000 * a.ios, "\(a) \(b)")
    }
    // Half the base empty: a write there allocates a block in six engine I/Os; it pays 7 µs for
    // each device I/O collected, and only for those.
    let sparseWithout = try requests(.none, ioDepth: 1, baseFill: 0.5)
    let sparseWith = try requests(cost, ioDepth: 1, baseFill: 0.5)
    let m = Swift.min(sparseWithout.count, sparseWith.count)
    #expect(sparseWith.prefix(m).contains { $0.ios == 6 })
    for (a, b) in zip(sparseWith.prefix(m), sparseWithout.prefix(m)) {
      #expect(a.ios == b.ios && a.latency - b.latency == 7_000 * a.collected, "\(a) \(b)")
      if a.ios == 6 {
        // The zeroing (the old footer's punch and the file's growth, two engine I/Os) is not
        // collected; the data, bitmap, BAT and footer writes are (one more if the data crosses an
        // extent).
        #expect(a.collected == 4 || a.collected == 5, "\(a)")
      } else {
        #expect(a.collected >= a.ios && a.collected <= a.ios + 1, "\(a)")
      }
    }
  }

  /// At depth 1 every request of a one-level chain probes one level: each takes exactly
  /// 10 µs + 2 µs longer than without the cost, the disk's times unchanged (variability off).
  @Test func eachRequestPaysTheFixedPartAndOneLevel() throws {
    let without = try latencies(.none, ioDepth: 1)
    let with = try latencies(
      EngineCPUCost(perRequest: .microseconds(10), perLevel: .microseconds(2)), ioDepth: 1)
    let n = Swift.min(without.count, with.count)
    #expect(n > 50)
    #expect(zip(with.prefix(n), without.prefix(n)).allSatisfy { $0 - $1 == 12_000 })
  }

  /// The tapdisk's one thread runs engine calls one after another: of the first eight requests,
  /// issued together at depth 8, the k-th waits for k calls of 1 ms before its disk I/O starts (the
  /// base is full, so no request allocates; its disk time is about 0.1 ms).
  @Test func aTapdisksEngineCallsRunOneAfterAnother() throws {
    let slow = try latencies(EngineCPUCost(perRequest: .milliseconds(1), perLevel: .zero), ioDepth: 8)
    let first = slow.prefix(8).sorted()
    for (k, latency) in first.enumerated() {
      #expect(latency >= Int64(k + 1) * 1_000_000 && latency < Int64(k + 1) * 1_000_000 + 500_000)
    }
  }
}

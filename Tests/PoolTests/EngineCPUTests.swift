// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing
import VHD

/// docs/simulation.md#engine-cpu-time: a profile's engine processor time delays each request.
@Suite struct EngineCPUTests {
  func latencies(_ cpu: EngineCPUCost, ioDepth: Int) throws -> [Int64] {
    let disk = DiskProfile(name: "nvme", model: SSDModel.nvmeDatacenter, variability: false, engineCPU: cpu)
    let scenario = PoolScenario(
      chain: ChainSpec(depth: 1, virtualSize: 64 << 20, baseFill: 1, writesPerSnapshot: 0, seed: 3),
      workload: WorkloadSpec(readFraction: 0.7, arrivals: .closedLoop(ioDepth: ioDepth)), disk: disk,
      duration: .milliseconds(20), recordTrace: true)
    let trace = try scenario.run().trace.sorted { $0.issued < $1.issued }
    return trace.map { ($0.completed - $0.issued).nanoseconds }
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

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing

@testable import Benchmarking

/// The simulated side reports the tapdisk thread's time the model charged, to set beside the real
/// loop's measured processor time: R + L × levels per request, nothing else.
@Suite struct SimulatedThreadTimeTests {
  @Test func chargesTheProfilesEngineTimePerRequest() throws {
    var profile = DiskProfile.nvme
    profile.engineCPU = EngineCPUCost(perRequest: .microseconds(10), perLevel: .zero)
    var validation = DiskValidation(
      profile: profile, depths: [1], iodepths: [2], folder: "/nonexistent", quick: true)
    validation.requests = 200
    let run = try validation.side(depth: 1, iodepth: 2).simulated.run()
    #expect(run.requests.count == 200)
    #expect(abs(run.threadBusySeconds - 200 * 10e-6) < 1e-12)
  }

  @Test func chargesEveryLevelTheLookupsProbed() throws {
    var profile = DiskProfile.nvme
    profile.engineCPU = EngineCPUCost(perRequest: .microseconds(2), perLevel: .microseconds(1))
    var validation = DiskValidation(
      profile: profile, depths: [4], iodepths: [1], folder: "/nonexistent", quick: true)
    validation.requests = 200
    let side = validation.side(depth: 4, iodepth: 1).simulated
    let run = try side.run()
    // The same requests again, with their lookups: 2 µs each plus 1 µs a level probed.
    let scenario = PoolScenario(
      chain: side.chain, workload: side.workload, disk: profile, sr: .file, device: .metadata,
      engine: side.engine, seed: side.seed, recordTrace: true)
    let pool = try scenario.makePool()
    var trace = try pool.run(for: .milliseconds(20)).trace
    while trace.count < 200 { trace = try pool.run(for: .milliseconds(20)).trace }
    let kept = trace.sorted { $0.completed < $1.completed }.prefix(200)
    let levels = kept.reduce(0) { $0 + $1.lookups.levelsProbed }
    #expect(levels > 200)
    #expect(abs(run.threadBusySeconds - Double(2 * 200 + levels) * 1e-6) < 1e-12)
  }
}

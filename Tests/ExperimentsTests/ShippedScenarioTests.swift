// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Testing

/// The scenario files users copy must always validate and expand to the runs their comments promise.
@Suite struct ShippedScenarioTests {
  static let scenarios = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scenarios")

  @Test func quickstartExpandsToThreeRuns() throws {
    let s = try Scenario.load(path: Self.scenarios.appendingPathComponent("quickstart.yaml").path)
    #expect(s.name == "quickstart")
    #expect(s.policies.map(\.name) == ["default"])
    #expect(s.sweep.pointCount == 1)
    #expect(s.replicates == 3)
    #expect(s.runCount == 3)
    let runs = s.runs()
    #expect(runs.count == 3)
    let pool = runs[0].pool
    #expect(pool.chain.depth == 4)
    #expect(pool.chain.virtualSize == 1 << 30)
    #expect(pool.disk == .nvme && pool.sr == .file && pool.device == .metadata)
    #expect(pool.workload.arrivals == .closedLoop(ioDepth: 8))
    #expect(pool.workload.readFraction == 0.7)
    #expect(pool.duration == .seconds(5))
    #expect(Set(runs.map(\.seed)).count == 3)
  }

  @Test func seedChainDepthComparesBATMapOnAndOff() throws {
    let s = try Scenario.load(path: Self.scenarios.appendingPathComponent("seed-chain-depth.yaml").path)
    #expect(s.policies.map(\.name) == ["batmap-on", "batmap-off"])
    #expect(s.runCount == 2 * 1 * 10)
    let runs = s.runs()
    #expect(runs.count == 20)
    // 16 snapshots on top of the base.
    #expect(runs.allSatisfy { $0.pool.chain.depth == 17 })
    #expect(runs.filter { $0.pool.engine.useBATMap }.count == 10)
    #expect(runs[0].policy == "batmap-on" && runs[10].policy == "batmap-off")
    #expect(runs.allSatisfy { $0.pool.sr == .lvm && $0.pool.disk == .sata7200 })
  }

  @Test func sweepMultipliesRuns() throws {
    let yaml = """
      name: grid
      replicates: 4
      chain: {depth: 2}
      vms: [{workload: {preset: random-4k}}]
      policies: [{name: a}, {name: b, engine: {batmap: false}}]
      sweep:
        chain.depth: [1, 8, 16]
        disk: [nvme, sata7200]
      """
    let s = try Scenario.parse(yaml: yaml, file: "grid.yaml")
    #expect(s.runCount == 2 * 6 * 4)
    let runs = s.runs()
    #expect(runs.count == 48)
    // The first axis varies slowest.
    #expect(s.sweep.point(1).map(\.description) == ["chain.depth=1", "disk=sata7200"])
    #expect(runs[4].label == "a/chain.depth=1,disk=sata7200/r0")
    #expect(runs[4].pool.chain.depth == 1 && runs[4].pool.disk == .sata7200)
    #expect(runs[24].pool.engine.useBATMap == false)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Testing

/// Runs of several SRs (`sr.count`): VMs spread round-robin, per-SR seeds, one SR exactly the run
/// of before, each metric combined by its rule, and the scenario checks.
@Suite struct MultiSRTests {
  @Test func vmsGoRoundRobinAndEachSRHasItsOwnSeeds() throws {
    let runner = try FleetFixture.plan().runner
    #expect(runner.srCount == 2 && runner.runs.count == 2 && runner.units.count == 4)
    let (sr0, sr1) = (runner.units[0], runner.units[1])
    #expect(sr0.vms.map(\.index) == [0, 2] && sr1.vms.map(\.index) == [1])
    #expect(sr0.label == "none/-/r0/sr0" && runner.units[3].label == "sm/-/r0/sr1")
    let run = runner.runs[0]
    #expect(sr0.seed == run.seed && sr1.seed != run.seed)
    #expect(sr1.seed == ScenarioRun.seed(run.seed, sr: 1) && sr1.pool.seed == sr1.seed)
    #expect(sr1.pool.chain.seed != run.pool.chain.seed)
    // SR 1's seed is the same in a 3-SR run of the same scenario: it depends on (run seed, SR) only.
    let three = try FleetFixture.plan(
      FleetFixture.yaml.replacingOccurrences(of: "count: 2", with: "count: 3"))
    #expect(three.units[1].seed == sr1.seed && three.units[2].vms.map(\.index) == [2])
    #expect(runner.runIndex(ofUnit: 3) == 1)
  }

  /// `count: 1` is exactly the scenario without `count`: the same records, number for number.
  @Test func oneSRIsTheRunOfBefore() throws {
    let single = FleetFixture.yaml.replacingOccurrences(
      of: "sr: {kind: file, count: 2}", with: "sr: {kind: file}")
    let counted = FleetFixture.yaml.replacingOccurrences(of: "count: 2}", with: "count: 1}")
    #expect(single != counted && single != FleetFixture.yaml)
    let a = try FleetFixture.plan(single).runner
    let b = try FleetFixture.plan(counted).runner
    #expect(a.units.count == 2 && b.units.count == 2)
    let ra = try a.run().map(\.metrics)
    let rb = try b.run().map(\.metrics)
    #expect(ra == rb)
    #expect((ra[1].values["gc_bytes_copied"] ?? 0) > 0)
  }

  /// Hand-made unit records whose combination is known: every rule once.
  @Test func eachMetricIsCombinedByItsRule() throws {
    let plan = try FleetFixture.plan()
    func unit(
      _ u: Int, metrics: [(String, Double)], read: [(Int, UInt64)], all: UInt64, space: [(Double, Double)],
      pauses: Int
    ) -> RunRecord {
      var r = RunRecord(
        index: u, seed: plan.units[u].seed, metrics: metrics.map { RunRecord.Metric($0.0, $0.1) })
      r.latency =
        [.init("all", bucket: 60, count: all)] + read.map { .init("read", bucket: $0.0, count: $0.1) }
      r.series = space.map { .init("sr_physical_utilisation_bytes", time: $0.0, value: $0.1) }
      r.series.append(.init("vdi0_chain_depth", time: 1, value: Double(u + 2)))
      r.samples = ["10,20,0,read,8"]
      r.events =
        [TimelineEvent(kind: "coalesce", lane: "GC", start: 1, end: 2)]
        + (0..<pauses).map { _ in TimelineEvent(kind: "pause", lane: "VDI x", start: 1, end: 1.5) }
      return r
    }
    let run0 = [
      unit(
        0,
        metrics: [
          ("iops", 10), ("bitmap_reads_per_request", 2), ("chain_depth", 1), ("gc_bytes_copied", 100),
          ("chain_depth_max", 3), ("leaf_pause_s_mean", 1), ("chain_depth_time_avg", 1.5),
          ("space_peak_bytes", 30), ("read_latency_p50_us", 99), ("consistent", 1), ("sc_overhead_s", 2),
        ], read: [(40, 3)], all: 3, space: [(0, 10), (5, 30), (6, 5)], pauses: 1),
      unit(
        1,
        metrics: [
          ("iops", 5), ("bitmap_reads_per_request", 6), ("chain_depth", 1), ("gc_bytes_copied", 50),
          ("chain_depth_max", 2), ("leaf_pause_s_mean", 4), ("chain_depth_time_avg", 3),
          ("space_peak_bytes", 25), ("read_latency_p50_us", 1), ("consistent", 0),
        ], read: [(50, 1)], all: 1, space: [(0, 20), (7, 25)], pauses: 3),
    ]
    let others = [2, 3].map { unit($0, metrics: [("iops", 1)], read: [], all: 1, space: [], pauses: 0) }
    let set = try RunSet(plan: plan, records: others + run0.reversed())
    let r = set.records[0]
    #expect(r.index == 0 && r.seed == plan.runs[0].seed)
    func m(_ name: String) -> Double? { r.metric(name) }
    #expect(m("iops") == 15 && m("gc_bytes_copied") == 150 && m("chain_depth_max") == 3)
    #expect(m("chain_depth") == 1 && m("consistent") == 0)
    #expect(m("bitmap_reads_per_request") == 3)  // (2·3 + 6·1) / 4 requests
    #expect(m("leaf_pause_s_mean") == 3.25)  // (1·1 + 4·3) / 4 pauses
    #expect(m("chain_depth_time_avg") == 2)  // (1.5·2 + 3·1) / 3 VDIs
    #expect(m("sc_overhead_s") == 2)  // the one SR that fitted
    // 30, 50 at 5 s, 25 at 6 s, 30 at 7 s: the peak of the sum (50), not the sum of peaks (55).
    #expect(m("space_peak_bytes") == 50)
    // Merged read histogram: 3 in bucket 40 (40 ns), 1 in bucket 50 (50 ns); the median is bucket 40.
    #expect(m("read_latency_p50_us") == 0.04)
    #expect(r.latency.filter { $0.histogram == "read" }.map(\.count) == [3, 1])
    #expect(r.latency.first { $0.histogram == "all" }?.count == 4)
    let space = r.series.filter { $0.series == "sr_physical_utilisation_bytes" }
    #expect(space.map(\.time) == [0, 5, 6, 7] && space.map(\.value) == [30, 50, 25, 30])
    // SR 1's first VDI is VM 1 of the run.
    #expect(
      r.series.filter { $0.series.hasPrefix("vdi") }.map(\.series) == [
        "vdi0_chain_depth", "vdi1_chain_depth",
      ])
    #expect(Set(r.events.map(\.lane)) == ["SR0 GC", "SR0 VDI x", "SR1 GC", "SR1 VDI x"])
    #expect(r.samples == ["10,20,0,read,8", "10,20,1,read,8"])  // SR 1's VM 0 is the run's VM 1
    #expect(set.units.map(\.index) == [0, 1, 2, 3])
  }

  @Test func rejectsImpossibleCounts() {
    let plain = """
      name: p
      duration: 1
      sr: {kind: file, count: 2}
      chain: {depth: 1}
      vms:
        - count: 2
          workload: {pattern: random}
      """
    #expect(throws: ScenarioError.self) { try Scenario.parse(yaml: plain, file: "p.yaml") }
    do {
      _ = try Scenario.parse(yaml: plain, file: "p.yaml")
    } catch {
      #expect(
        error.description.contains("p.yaml:3")
          && error.description.contains("sr.count applies to a managed SR"))
    }
    let tooMany = FleetFixture.yaml.replacingOccurrences(of: "count: 2}", with: "count: 4}")
    do {
      _ = try Scenario.parse(yaml: tooMany, file: "f.yaml")
      Issue.record("4 SRs for 3 VMs was accepted")
    } catch {
      #expect(error.description.contains("sr.count 4 is more than the 3 VMs"))
    }
    let zero = FleetFixture.yaml.replacingOccurrences(of: "count: 2}", with: "count: 0}")
    #expect(throws: ScenarioError.self) { try Scenario.parse(yaml: zero, file: "f.yaml") }
  }
}

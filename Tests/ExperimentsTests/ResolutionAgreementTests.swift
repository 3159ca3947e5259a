// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Statistics
import Testing

/// Request and epoch resolution (docs/simulation.md#epoch-resolution) of one small managed pool,
/// replicated: for every capacity figure the difference of the means has a 95 % confidence interval
/// inside ±margin (an equivalence check, two one-sided tests at 2.5 % each, not a failure to find a
/// difference). A small `Scenarios/resolution-agreement.yaml`: thin LVM, 4–64 KiB at 10 requests/s,
/// half writes, backups every 40 minutes keeping 3 so coalesces happen, GC sm, metadata device.
@Suite struct ResolutionAgreementTests {
  static let scenario = """
    name: resolution-agreement-small
    seed: 16
    replicates: 6
    duration: 14400
    sr: {kind: lvm, provisioning: thin, capacity_gib: 64}
    disk: {preset: nvme}
    device: metadata
    warmup: none
    chain: {depth: 1, size_mib: 1024, base_fill: 0.3}
    vms:
      - count: 2
        workload:
          read_fraction: 0.5
          sizes: "4k/25:16k/25:32k/25:64k/25"
          rate: 10
    snapshots:
      kind: double
      backups: {every: 2400, keep: 3, first: 600}
    gc: {quiet_period: 0, auto_scan: 0, leaf_coalesce: sm}
    policies:
      - name: request
      - name: epoch
        resolution: epoch
        epoch: 600
    """

  /// Margins: relative to the request-level mean (`relative`) or absolute (`absolute`), whichever
  /// is wider.
  static let margins: [(metric: String, relative: Double, absolute: Double)] = [
    ("space_peak_bytes", 0.03, 0),
    ("chain_depth_max", 0, 0.5),
    ("chain_depth_time_avg", 0.05, 0),
    ("gc_coalesces", 0, 1),
    ("gc_bytes_copied", 0.10, 0),
    ("gc_leaf_coalesces", 0, 1),
    ("leaf_give_ups", 0, 1),
    ("bat_probes_per_request", 0.03, 0),
    ("levels_probed_per_request", 0.03, 0),
    ("lookups_level_0", 0.05, 0.01),
    ("lookups_level_1", 0.10, 0.01),
    ("lookups_level_2", 0.10, 0.01),
    ("blocks_allocated", 0.05, 0),
  ]

  /// A metric of the run, or one computed from its result: blocks allocated, and bitmap lookups
  /// (cache hits and reads) per request at level K of the chains as they were when each request ran.
  static func value(_ metric: String, _ o: ScenarioRunner.Outcome) -> Double {
    if metric == "blocks_allocated" { return Double(o.result.chain.blocksAllocated) }
    if metric.hasPrefix("lookups_level_"), let k = Int(metric.dropFirst("lookups_level_".count)) {
      let levels = o.result.chain.levels
      return k < levels.count ? Double(levels[k].bitmapConsults) / Double(o.result.requests) : 0
    }
    return o.metrics.values[metric] ?? 0
  }

  @Test func epochResolutionIsEquivalentToRequestResolution() throws {
    let runner = try ScenarioRunner(
      scenario: try Scenario.parse(yaml: Self.scenario, file: "agreement.yaml"), options: .init(jobs: 2))
    let outcomes = try runner.run()
    for (metric, relative, absolute) in Self.margins {
      func values(_ policy: String) -> [Double] {
        outcomes.filter { $0.run.policy == policy }.map { Self.value(metric, $0) }
      }
      let (a, b) = (values("request"), values("epoch"))
      #expect(a.count == 6 && b.count == 6)
      let ma = a.reduce(0, +) / Double(a.count)
      let margin = max(relative * abs(ma), absolute)
      // The report's test (report.equivalence): Welch's 95 % interval of epoch − request inside ±margin.
      let e = try equivalenceTest(b, a, margin: margin)
      #expect(
        e.equivalent,
        "\(metric): epoch − request = \(e.difference) in [\(e.interval.lower), \(e.interval.upper)] (request \(ma)), margin ±\(margin)"
      )
    }
  }
}

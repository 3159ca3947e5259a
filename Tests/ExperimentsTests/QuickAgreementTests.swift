// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Pool
import Testing

/// `vhdsim run Scenarios/quickstart.yaml --quick` estimates what the full run does: with the warm-up
/// cut (MSER-5, docs/simulation.md#warm-up), every headline metric's quick mean lies inside the full
/// run's 95 % Student-t interval (percentiles: within one histogram bucket of it), at the two sweep
/// points with the longest warm-ups.
@Suite struct QuickAgreementTests {
  static let quickstart = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
      "Scenarios/quickstart.yaml")

  /// t₀.₉₇₅ with 2 degrees of freedom (3 replicates), from any t table.
  static let t975df2 = 4.302652729911275

  static let headline = [
    "iops", "read_latency_p50_us", "read_latency_p99_us", "write_latency_p99_us", "latency_mean_us",
  ]

  /// The outcomes of the runs of (policy, depth), full or quick.
  func outcomes(quick: Bool, policy: String, depth: Int) throws -> [ScenarioRunner.Outcome] {
    let runner = try ScenarioRunner(
      scenario: try Scenario.load(path: Self.quickstart.path), options: .init(jobs: 2, quick: quick))
    let indices = runner.runs.indices.filter {
      runner.runs[$0].policy == policy && runner.runs[$0].settings.depth == depth
    }
    return try runner.run(indices: indices)
  }

  @Test(arguments: [("batmap-on", 8), ("batmap-off", 17)])
  func quickMeansFallInsideTheFullRunsIntervals(_ policy: String, _ depth: Int) throws {
    let full = try outcomes(quick: false, policy: policy, depth: depth)
    let quick = try outcomes(quick: true, policy: policy, depth: depth)
    #expect(full.count == 3)
    #expect(quick.count == 2)
    for o in full + quick { #expect(o.result.warmup.requests > 0, "\(o.run.label) cut no warm-up") }
    for name in Self.headline {
      let xs = full.map { $0.metrics.values[name]! }
      let mean = xs.reduce(0, +) / 3
      let sd = (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 2).squareRoot()
      let half = Self.t975df2 * sd / 3.0.squareRoot()
      let q = quick.map { $0.metrics.values[name]! }.reduce(0, +) / 2
      // A tolerance of one part in 10⁹ for rounding in the interval's arithmetic; a percentile is
      // known only to its histogram bucket (relative width 2^-subBucketBits, about 3 %), so two runs
      // whose percentiles fall in neighbouring buckets agree within one bucket.
      let bucket = 1.0 / Double(1 << LatencyHistogram.subBucketBits)
      let slack = (name.contains("_p") ? bucket : 1e-9) * abs(mean)
      #expect(
        q >= mean - half - slack && q <= mean + half + slack,
        "\(policy) depth \(depth) \(name): quick \(q) outside \(mean) ± \(half)")
    }
  }
}

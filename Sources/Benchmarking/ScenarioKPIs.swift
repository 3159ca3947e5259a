// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Pool

/// The scenario library's quick variants as regression counters: what a change does to the studies
/// users run — lookups per request per level, physical I/Os per request, GC bytes copied, pauses,
/// give-ups and chain depth after GC. Simulated, seeded and single-threaded per run, so every value
/// is exact: a moved KPI is a changed behaviour.
enum ScenarioKPIs {
  /// The library's scenarios whose quick variants the suite runs (the consistency scenario's
  /// verdicts are asserted by the tests instead).
  static let scenarios = [
    "quickstart", "seed-chain-depth", "seed-delete-all", "leaf-coalesce-designs", "backup-fleet",
  ]

  /// Metrics kept as counters (latency quantiles stay out: they are covered by the lookups and I/Os
  /// that cause them, and a KPI table of 100 latencies would bury what moved).
  static let kpis: [Metric] = [
    .physicalIOsPerRequest, .gcBytesCopied, .gcCoalesces, .gcLeafCoalesces, .leafPauseMax, .pauseTotal,
    .leafGiveUps, .chainDepthAfterGC, .chainDepthMax, .spacePeak,
  ]
  /// Families kept as counters, every member.
  static let kpiFamilies: [MetricFamily] = [Metric.bitmapLookupsPerRequestLevel]

  static func isKPI(_ metric: String) -> Bool {
    kpiFamilies.contains { $0.parameterValue(of: metric) != nil } || kpis.contains { $0.name == metric }
  }

  struct Missing: Error, CustomStringConvertible {
    var path: String
    var description: String {
      "\(path): scenario not found (run `vhdsim bench` from the repository root, where Scenarios/ is)"
    }
  }

  /// Runs `name`'s quick variant and adds `scenario.NAME.POLICY/SWEEP/r0.METRIC` counters.
  static func measure(_ name: String, in directory: String, into run: inout RegressionSuite.Run) throws {
    let path = directory + "/" + name + ".yaml"
    guard FileManager.default.fileExists(atPath: path) else { throw Missing(path: path) }
    let scenario = try Scenario.load(path: path)
    let runner = try ScenarioRunner(scenario: scenario, options: .init(jobs: 2, quick: true))
    // The first replicate of every (policy, sweep point): the others run the same code on other
    // seeds and would only multiply the table.
    for outcome in try runner.run() where outcome.run.replicate == 0 {
      for (metric, value) in outcome.metrics.values where isKPI(metric) {
        run.counters["scenario.\(name).\(outcome.run.label).\(metric)"] = value
      }
    }
  }
}

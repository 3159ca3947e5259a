// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Testing

/// The runner and its files: the expected rows and metrics, and files that depend on the inputs only
/// (not on the number of worker threads, and on the seed).
@Suite struct ScenarioRunnerTests {
  static let yaml = """
    name: tiny
    seed: 5
    replicates: 2
    duration: 0.05
    disk: {preset: nvme}
    chain: {depth: 2, size_mib: 64, writes_per_snapshot: 16}
    vms:
      - workload: {pattern: random, read_fraction: 0.7, block_size_kib: 4, iodepth: 4}
    policies:
      - name: batmap-on
        engine: {batmap: true}
      - name: batmap-off
        engine: {batmap: false}
    """

  static let metricNames = [
    "read_latency_p50_us", "read_latency_p99_us", "write_latency_p99_us", "latency_mean_us", "iops",
    "bat_probes_per_request", "bitmap_reads_per_request", "bitmap_cache_hits_per_request",
    "batmap_shortcuts_per_request", "levels_probed_per_request", "physical_ios_per_request", "chain_depth",
    "warmup_seconds", "warmup_requests", "bitmap_lookups_per_request_level_0",
    "bitmap_lookups_per_request_level_1",
  ]

  /// Runs the tiny scenario and returns (summary.json, runs.csv) as written to a fresh directory.
  static func files(jobs: Int, seed: UInt64? = nil) throws -> (String, String) {
    let scenario = try Scenario.parse(yaml: yaml, file: "tiny.yaml")
    let runner = try ScenarioRunner(scenario: scenario, options: .init(seed: seed, jobs: jobs))
    let outcomes = try runner.run()
    let report = ScenarioReport(scenario: runner.scenario, outcomes: outcomes)
    let dir = FileManager.default.temporaryDirectory
      .appendingPathComponent("vhdsim-runner-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let paths = try report.write(to: dir)
    #expect(
      paths.map { ($0 as NSString).lastPathComponent } == ["summary.json", "runs.csv", "timeseries.csv"])
    return (
      try String(contentsOfFile: paths[0], encoding: .utf8),
      try String(contentsOfFile: paths[1], encoding: .utf8)
    )
  }

  @Test func writesExpectedRowsAndMetrics() throws {
    let (summary, csv) = try Self.files(jobs: 2)
    let lines = csv.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    #expect(lines.first == "scenario,policy,sweep,replicate,seed,metric,value")
    // 2 policies × 1 sweep point × 2 replicates × 16 metrics (14 + 2 levels).
    #expect(lines.count == 1 + 2 * 1 * 2 * 16)
    let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    #expect(rows.allSatisfy { $0.count == 7 && $0[0] == "tiny" && $0[2] == "-" })
    #expect(Set(rows.map { String($0[5]) }) == Set(Self.metricNames))
    #expect(Set(rows.map { String($0[1]) }) == ["batmap-on", "batmap-off"])
    #expect(Set(rows.map { String($0[3]) }) == ["0", "1"])
    #expect(rows.allSatisfy { Double(String($0[6])) != nil })
    let iops = rows.filter { $0[5] == "iops" }.map { Double(String($0[6]))! }
    #expect(iops.count == 4 && iops.allSatisfy { $0 > 0 })

    let json = try JSONSerialization.jsonObject(with: Data(summary.utf8)) as! [String: Any]
    #expect(json["scenario"] as? String == "tiny")
    let policies = json["policies"] as! [[String: Any]]
    #expect(policies.map { $0["name"] as? String } == ["batmap-on", "batmap-off"])
    for p in policies {
      let metrics = p["metrics"] as! [String: [String: Any]]
      #expect(Set(metrics.keys) == Set(Self.metricNames))
      for (_, m) in metrics {
        #expect(Set(m.keys) == ["mean", "ci_low", "ci_high", "n"])
        #expect((m["n"] as? NSNumber)?.intValue == 2)
        let mean = (m["mean"] as! NSNumber).doubleValue
        let low = (m["ci_low"] as! NSNumber).doubleValue
        let high = (m["ci_high"] as! NSNumber).doubleValue
        #expect(low <= mean && mean <= high)
      }
      #expect((metrics["chain_depth"]?["mean"] as? NSNumber)?.doubleValue == 2)
    }
  }

  @Test func independentOfJobs() throws {
    let one = try Self.files(jobs: 1)
    let two = try Self.files(jobs: 2)
    #expect(one.0 == two.0)
    #expect(one.1 == two.1)
  }

  @Test func sameSeedSameFilesOtherSeedDiffers() throws {
    let a = try Self.files(jobs: 2, seed: 11)
    let b = try Self.files(jobs: 2, seed: 11)
    let c = try Self.files(jobs: 2, seed: 12)
    #expect(a.0 == b.0 && a.1 == b.1)
    #expect(a.0 != c.0)
    #expect(a.1 != c.1)
  }

  @Test func quickVariant() throws {
    var scenario = try Scenario.parse(yaml: Self.yaml, file: "tiny.yaml")
    scenario.replicates = 5
    scenario.base.duration = 3
    let runner = try ScenarioRunner(scenario: scenario, options: .init(jobs: 1, quick: true))
    #expect(runner.scenario.replicates == 3)
    #expect(runner.runs.count == 2 * 3)
    #expect(runner.runs.allSatisfy { $0.pool.duration == .seconds(0.3) })
    // Never below 0.1 s, never longer than written.
    let short = try ScenarioRunner(
      scenario: try Scenario.parse(yaml: Self.yaml, file: "tiny.yaml"), options: .init(quick: true))
    #expect(short.runs.allSatisfy { $0.settings.duration == 0.05 })
  }

  @Test func rejectsReplicatesOutOfRange() throws {
    let scenario = try Scenario.parse(yaml: Self.yaml, file: "tiny.yaml")
    #expect(throws: ScenarioError.self) {
      try ScenarioRunner(scenario: scenario, options: .init(replicates: 0))
    }
  }
}

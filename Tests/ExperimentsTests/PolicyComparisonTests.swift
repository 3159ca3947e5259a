// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Statistics
import Testing

/// `vhdsim compare`'s statistics on values with known answers (checked against SciPy 1.17:
/// `ttest_ind(equal_var=False)`, `t.ppf`, `mannwhitneyu(method="asymptotic")`).
@Suite struct PolicyComparisonTests {
  static let yaml = """
    name: known
    replicates: 3
    chain: {depth: 1}
    vms:
      - workload: {pattern: random}
    policies:
      - name: a
      - name: b
      - name: c
    """

  /// Policy a (baseline) gets 1, 2, 3; b gets 2, 3, 4; c gets 5, 5, 5 — for every metric given.
  static func report(metrics: [String]) throws -> ScenarioReport {
    let s = try Scenario.parse(yaml: yaml, file: "known.yaml")
    let runs = s.runs()
    let values: [String: [Double]] = ["a": [1, 2, 3], "b": [2, 3, 4], "c": [5, 5, 5]]
    let records = runs.enumerated().map { i, run in
      RunRecord(
        index: i, seed: run.seed,
        metrics: metrics.map { .init($0, values[run.policy]![run.replicate]) })
    }
    return ScenarioReport(scenario: s, runs: runs, records: records)
  }

  @Test func welchCohenAndRelativeDifference() throws {
    let c = try PolicyComparison(try Self.report(metrics: ["iops"]))
    #expect(c.baseline == "a")
    #expect(c.rows.map(\.policy) == ["b", "c"])
    let b = c.rows[0]
    #expect(b.n == 3 && b.baselineN == 3)
    #expect(b.mean == 3 && b.baselineMean == 2 && b.difference == 1)
    #expect(b.relative == 0.5)
    #expect(abs(b.welchP! - 0.28786413472669053) < 1e-9)
    // 1 ± t(0.975, 4)·√(2/3) = 1 ± 2.266957935527523
    #expect(abs(b.differenceCI!.lowerBound - (1 - 2.266957935527523)) < 1e-9)
    #expect(abs(b.differenceCI!.upperBound - (1 + 2.266957935527523)) < 1e-9)
    #expect(abs(b.cohensD! - 1) < 1e-12)
    // Not a latency metric: no rank test.
    #expect(b.mannWhitneyP == nil)
    // c has no variance but a does: Welch still defined.
    let cRow = c.rows[1]
    #expect(cRow.difference == 3)
    #expect(cRow.welchP != nil && cRow.welchP! < 0.05)
  }

  @Test func latencyMetricsGetMannWhitney() throws {
    let c = try PolicyComparison(try Self.report(metrics: ["read_latency_p99_us"]))
    // Exact at 3 against 3: b's {2, 3, 4} against a's {1, 2, 3} (ties kept) has U = 7; 5 of the 20
    // equally likely splits of the pooled midranks have U ≥ 7, so p = 2 · 5/20 = 0.5 (by enumeration;
    // the normal approximation said 0.3687).
    #expect(abs(c.rows[0].mannWhitneyP! - 0.5) < 1e-12)
  }

  @Test func otherBaselineAndUndefinedStatistics() throws {
    let report = try Self.report(metrics: ["chain_depth"])
    let c = try PolicyComparison(report, baseline: "c")
    #expect(c.rows.map(\.policy) == ["a", "b"])
    #expect(c.rows[0].difference == -3)
    #expect(throws: CompareError.unknownBaseline("z", known: ["a", "b", "c"])) {
      try PolicyComparison(report, baseline: "z")
    }
  }

  @Test func zeroVarianceOnBothSidesLeavesTestsUndefined() throws {
    let s = try Scenario.parse(yaml: Self.yaml, file: "known.yaml")
    let runs = s.runs()
    let records = runs.enumerated().map { i, run in
      RunRecord(index: i, seed: run.seed, metrics: [.init("chain_depth", 4)])
    }
    let c = try PolicyComparison(ScenarioReport(scenario: s, runs: runs, records: records))
    #expect(c.rows[0].difference == 0)
    #expect(c.rows[0].welchP == nil && c.rows[0].differenceCI == nil && c.rows[0].cohensD == nil)
    #expect(c.table.contains("chain_depth"))
    #expect(c.json.contains("\"welch_p\" : null"))
  }

  @Test func tableAndJSON() throws {
    let c = try PolicyComparison(try Self.report(metrics: ["iops"]))
    let lines = c.table.split(separator: "\n")
    #expect(lines.count == 3)
    #expect(lines[0].hasPrefix("sweep  metric  policy  n  mean"))
    #expect(lines[1].contains("+50.0%") && lines[1].contains("0.2879"))
    let json = try JSONSerialization.jsonObject(with: Data(c.json.utf8)) as! [String: Any]
    #expect(json["baseline"] as? String == "a")
    let rows = json["rows"] as! [[String: Any]]
    #expect(rows.count == 2)
    #expect((rows[0]["difference"] as? NSNumber)?.doubleValue == 1)
    #expect((rows[0]["difference_ci"] as? [NSNumber])?.count == 2)
  }
}

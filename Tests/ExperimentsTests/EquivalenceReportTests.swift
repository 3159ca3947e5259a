// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Testing

/// `report.equivalence`: margins decoded strictly (metric names, `N%` or a number, positioned errors),
/// and the report's agreement finding and table, with verdicts on both sides of a margin.
@Suite struct EquivalenceReportTests {
  static let yaml = """
    name: agree
    replicates: 3
    duration: 10
    chain: {depth: 1}
    vms:
      - workload: {pattern: random}
    policies:
      - name: a
        engine: {batmap: true}
      - name: b
        engine: {batmap: false}
    report:
      question: Does b agree with a?
      headline: [iops]
      baseline: a
      equivalence:
        iops: 5%
        read_latency_p50_us: 1
    """

  /// iops: a = 1000, 1010, 1020; b = 1005, 1015, 1025 (Δ 5, Welch 95 % interval ±22.7 — inside ±50).
  /// p50: a = 100 every replicate, b = 102 (exact difference 2, outside ±1).
  static func markdown() throws -> String {
    let plan = try RunPlan(source: yaml, file: "agree.yaml", options: .init(jobs: 1))
    let runs = plan.scenario.runs()
    let records = runs.enumerated().map { i, run in
      let b = run.policy == "b"
      return RunRecord(
        index: i, seed: run.seed,
        metrics: [
          .init("iops", 1000 + 10 * Double(run.replicate) + (b ? 5 : 0)),
          .init("read_latency_p50_us", b ? 102 : 100),
        ])
    }
    let report = ScenarioReport(scenario: plan.scenario, runs: runs, records: records)
    return try ReportBuilder(plan: plan, report: report, gnuplot: Gnuplot(executable: nil))
      .document(plotsDirectory: "/nonexistent").markdown
  }

  @Test func marginsDecode() throws {
    let spec = try #require(try Scenario.parse(yaml: Self.yaml, file: "agree.yaml").report)
    #expect(
      spec.equivalence == [
        EquivalenceMargin(metric: "iops", size: .relative(0.05)),
        EquivalenceMargin(metric: "read_latency_p50_us", size: .absolute(1)),
      ])
  }

  @Test func reportStatesAgreementFirstAndTabulatesEachVerdict() throws {
    let md = try Self.markdown()
    let findings = try #require(
      md.range(of: "## Findings\n\n- **Agreement** of `b` with `a`: 1 of 2 comparisons"))
    #expect(
      md.contains(
        "not shown to agree: `read_latency_p50_us` Δ 2 [2, 2] µs against ±1.\n"))
    let table = try #require(md.range(of: "## Agreement with `a`"))
    #expect(findings.lowerBound < table.lowerBound)
    #expect(
      md.contains(
        "| `iops` | requests/s | ±5 % (50.5) | 1010 | 1015 | 5 | "
          + "[-17.67, 27.67] | yes |"))
    #expect(md.contains("| `read_latency_p50_us` | µs | ±1 | 100 | 102 | 2 | [2, 2] | **no** |"))
  }

  @Test func needsTwoPolicies() {
    let one = Self.yaml.replacingOccurrences(of: "  - name: b\n    engine: {batmap: false}\n", with: "")
    #expect(throws: ScenarioError.self) { try Scenario.parse(yaml: one, file: "agree.yaml") }
    do {
      _ = try Scenario.parse(yaml: one, file: "agree.yaml")
    } catch {
      #expect(
        error.description
          == "agree.yaml:14:3: report.equivalence: needs at least two policies (each is tested against the baseline)"
      )
    }
  }

  @Test(arguments: [
    ("    iops: five percent", "agree.yaml:17:11:", "report.equivalence.iops: expected a margin"),
    ("    iops: -3", "agree.yaml:17:11:", "expected a margin"),
    ("    nonsense_metric: 5%", "agree.yaml:17:5:", "no metric \"nonsense_metric\""),
    (
      "    gc_coalesces: 1", "agree.yaml:17:5:",
      "gc_coalesces is a managed-sr runs (garbage collector) metric"
    ),
  ])
  func badMarginsArePositionedErrors(line: String, position: String, message: String) {
    let text = Self.yaml.replacingOccurrences(of: "    iops: 5%", with: line)
    do {
      _ = try Scenario.parse(yaml: text, file: "agree.yaml")
      Issue.record("parsed: \(text)")
    } catch {
      #expect("\(error)".hasPrefix(position), "\(error)")
      #expect("\(error)".contains(message), "\(error)")
    }
  }
}

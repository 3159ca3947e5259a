// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Experiments
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `vhdsim run`: runs every (policy, sweep point, replicate) of a scenario file in parallel and writes
/// `summary.json` (mean and 95 % interval per policy and metric) and `runs.csv` (every value).
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a scenario file: every policy × sweep point × replicate, in parallel.",
    discussion: """
      Writes summary.json (per policy and sweep point: each metric's mean and 95 % t interval over the
      replicates) and runs.csv (scenario,policy,sweep,replicate,seed,metric,value) into --out. Results
      do not depend on --jobs or on the order runs finish: the same inputs give byte-identical files.
      --quick runs a reduced variant: every duration ÷ 10 (at least 0.1 s) and at most 3 replicates.
      See docs/scenarios.md.
      """)

  @Argument(help: "Scenario file (YAML).") var scenario: String
  @Option(help: "Replicates (replaces the file's value, 1...1000).") var replicates: Int?
  @Option(help: "Base seed (replaces the file's value).") var seed: UInt64?
  @Option(help: "Output directory (default: out/<scenario name>).") var out: String?
  @Option(help: "Worker threads (default: the number of cores).") var jobs: Int?
  @Flag(help: "Reduced variant: durations ÷ 10 (at least 0.1 s), at most 3 replicates.") var quick = false

  struct UsageError: Error, CustomStringConvertible {
    var description: String
  }

  func run() throws {
    try runReportingErrors {
      if let jobs, jobs < 1 { throw UsageError(description: "--jobs must be at least 1, found \(jobs)") }
      if let r = replicates, !Scenario.replicateRange.contains(r) {
        throw UsageError(
          description:
            "--replicates must be in \(Scenario.replicateRange.lowerBound)...\(Scenario.replicateRange.upperBound), "
            + "found \(r)")
      }
      let loaded = try Scenario.load(path: scenario)
      let runner = try ScenarioRunner(
        scenario: loaded, options: .init(replicates: replicates, seed: seed, jobs: jobs, quick: quick))
      let s = runner.scenario
      let progress = Progress(label: s.name)
      print(
        "\(s.name): \(runner.runs.count) runs (\(s.policies.count) policies × \(s.sweep.pointCount) sweep "
          + "points × \(s.replicates) replicates\(quick ? ", quick" : "")) on \(runner.options.jobs) threads")
      let outcomes = try runner.run { done, total, run in progress.update(done, total, run.label) }
      progress.finish()
      let report = ScenarioReport(scenario: s, outcomes: outcomes)
      for g in report.groups {
        print("")
        print("policy \(g.policy)\(g.sweep == "-" ? "" : "  sweep \(g.sweep)")")
        let width = g.names.map(\.count).max() ?? 0
        for name in g.names {
          guard let e = g.metrics[name] else { continue }
          let pad = String(repeating: " ", count: width - name.count)
          print("  \(name)\(pad)  \(Self.number(e.mean)) ± \(Self.number(e.halfWidth))")
        }
      }
      let paths = try report.write(to: out ?? "out/\(s.name)")
      print("")
      print("wrote \(paths.joined(separator: " and "))")
    }
  }

  static func number(_ x: Double) -> String { String(format: "%.4g", x) }

  /// The progress bar on a terminal, one plain line per finished run otherwise (standard error).
  /// Called by the runner one call at a time.
  final class Progress: @unchecked Sendable {
    let line: ProgressLine
    init(label: String) { line = ProgressLine(label: label) }

    func update(_ done: Int, _ total: Int, _ label: String) {
      if line.enabled {
        line.update(Double(done) / Double(max(1, total)))
      } else {
        printError("[\(done)/\(total)] \(label)")
      }
    }

    func finish() { line.finish() }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Experiments
import Foundation

/// `vhdsim compare`: every policy against a baseline, metric by metric, from a run's records: the
/// answer a study is run for ("B cuts p99 by 31 % ± 4 %, p < 0.001").
struct CompareCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compare",
    abstract:
      "Compare policies in a run (or merged) directory: differences with CIs, p-values, effect sizes.",
    discussion: """
      Per sweep point and metric, each policy against the baseline (--baseline, else the scenario's \
      report.baseline, else its first policy): \
      n and mean of each, the difference (policy − baseline) with its Welch 95 % interval, the relative \
      difference with its interval, Welch's p, Mann–Whitney U's p for latency metrics, and Cohen's d.

      `-` marks a statistic that is undefined (one replicate, or no variance on either side); d is \
      "n/a (no variance)" when the pooled standard deviation is at most 1e-9 of the means, and shown \
      as "> 10" / "< -10" beyond that (--json keeps the number).
      """)

  @Argument(help: "A directory `vhdsim run` or `vhdsim merge` wrote.") var directory: String
  @Option(help: "The policy to compare against (default: the scenario's report.baseline, else its first).")
  var baseline: String?
  @Flag(help: "Print JSON instead of the table.") var json = false

  func run() throws {
    try runReportingErrors {
      guard FileManager.default.fileExists(atPath: directory) else {
        throw CommandLineError.noInput(directory, "folder")
      }
      let set = try RunSet.merge([try RecordFiles.read(directory: directory)])
      let comparison = try PolicyComparison(ScenarioReport(set), baseline: baseline)
      if json {
        print(comparison.json, terminator: "")
      } else if comparison.rows.isEmpty {
        print("\(set.scenario.name): one policy (\(comparison.baseline)), nothing to compare")
      } else {
        print(comparison.table, terminator: "")
      }
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Experiments
import Foundation
import Pool

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `vhdsim run`: runs every (policy, sweep point, replicate) of a scenario file — or one shard's slice
/// of them — in parallel, writes the lossless run records, then (for a whole scenario) the summaries,
/// tidy CSVs and the report, from those records, exactly as `vhdsim merge` does for shards.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract:
      "Run a scenario file (or one shard of it): every policy × sweep point × replicate, in parallel.",
    discussion: """
      Writes into --out (default out/<scenario name>): the run records (shard.json, scenario.yaml, \
      records/), then summary.json (per policy and sweep point: each metric's mean and 95 % t interval), \
      runs.csv (scenario,policy,sweep,replicate,seed,metric,value), timeseries.csv, comparison.json, \
      report.md, report.html and plots/ (gnuplot). Results do not depend on --jobs, on the order runs \
      finish or on sharding: the same inputs give byte-identical files.

      A managed SR with `sr: {count: N}` runs N independent SRs per run, each one unit of work \
      (unit k is SR k % N of run k / N; with one SR a unit is a run); a run's metrics combine its SRs' \
      by each metric's rule (docs/metrics.md).

      --shard I/N runs only the units k with k % N == I and writes just their records into \
      --out/shard-I-of-N; `vhdsim merge` combines the shards into the files an unsharded run writes. \
      --shard-from-env takes I and N from SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN, divided by \
      SLURM_ARRAY_TASK_STEP) and SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX, or PARALLEL_SEQ - 1, with N from \
      VHDSIM_SHARD_COUNT for the last two. --quick runs a reduced variant: every duration ÷ 10 (at least \
      0.1 s) and at most 3 replicates. See docs/scenarios.md and docs/running-at-scale.md.
      """)

  @Argument(help: "Scenario file (YAML).") var scenario: String
  @Option(help: "Replicates (replaces the file's value, 1...1000).") var replicates: Int?
  @Option(help: "Base seed (replaces the file's value).") var seed: UInt64?
  @Option(help: ArgumentHelp("Output directory (default: out/<scenario name>).", valueName: "dir")) var out:
    String?
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Worker threads (default: the number of cores).", valueName: "n"))
  var jobs: Int?
  @Flag(help: "Reduced variant: durations ÷ 10 (at least 0.1 s), at most 3 replicates.") var quick = false
  @Option(
    help: ArgumentHelp(
      "Run only shard I of N (0 <= I < N): the units (runs × SRs) k with k % N == I.", valueName: "I/N"))
  var shard: String?
  @Flag(help: "Take the shard from the scheduler's environment (SLURM, Kubernetes, GNU parallel).")
  var shardFromEnv = false
  @Flag(help: "Also keep one row per guest request (samples.csv; large).") var samples = false
  @Flag(help: "Skip report.md, report.html and the plots.") var noReport = false
  @OptionGroup var progressOptions: ProgressOptions

  func run() throws {
    try runReportingErrors {
      if let jobs, jobs < 1 { throw CommandLineError.usage("--jobs must be at least 1, found \(jobs)") }
      if let r = replicates, !Scenario.replicateRange.contains(r) {
        throw CommandLineError.usage(
          "--replicates must be in \(Scenario.replicateRange.lowerBound)...\(Scenario.replicateRange.upperBound), "
            + "found \(r)")
      }
      if shard != nil && shardFromEnv {
        throw CommandLineError.usage("give either --shard or --shard-from-env, not both")
      }
      let slice: Shard =
        if let shard { try Shard.parse(shard) } else if shardFromEnv {
          try Shard.fromEnvironment(ProcessInfo.processInfo.environment)
        } else { .whole }
      try requireInputFile(scenario, "scenario file")
      let plan = try RunPlan.load(
        path: scenario,
        options: .init(replicates: replicates, seed: seed, jobs: jobs, quick: quick, samples: samples))
      let s = plan.scenario
      let base = out ?? "out/\(s.name)"
      let directory = slice.isWhole ? base : (base as NSString).appendingPathComponent(slice.directoryName)
      let indices = slice.indices(runCount: plan.units.count)
      let srs = plan.runner.srCount
      let unit = srs == 1 ? "run" : "unit"  // one SR: a unit is a run
      func work(_ n: Int) -> String { "\(n) \(unit)\(n == 1 ? "" : "s")" }
      try prepareOutputFolder(directory, flag: "--out")
      print(
        "\(s.name): \(plan.runs.count) runs (\(s.policies.count) policies × \(s.sweep.pointCount) sweep "
          + "points × \(s.replicates) replicates\(quick ? ", quick" : ""))"
          + (srs == 1 ? "" : " × \(srs) SRs = \(plan.units.count) units")
          + (slice.isWhole ? "" : ", shard \(slice): \(work(indices.count))")
          + " on \(plan.options.jobs) threads")
      fflush(nil)  // the header before the progress lines on standard error
      let progress = Progress(progressOptions.line(slice.isWhole ? s.name : "\(s.name) \(slice)"))
      let records = try ScenarioOutputs.record(plan, shard: slice, to: directory) { done, total, run in
        progress.update(done, total, run.label)
      }
      progress.finish()
      guard slice.isWhole else {
        print("wrote the records of shard \(slice) (\(work(records.count))) to \(directory)")
        print("when every shard is done: vhdsim merge \(base) --out DIR")
        return
      }
      let written = try ScenarioOutputs.summarize(directory: directory, gnuplot: noReport ? nil : .fromPath())
      Self.printSummary(written.report)
      print("")
      print("wrote \(written.paths.joined(separator: ", "))")
    }
  }

  /// Each group's means ± 95 % half-widths, as a quick look on the terminal.
  static func printSummary(_ report: ScenarioReport) {
    for g in report.groups {
      print("")
      print("policy \(g.policy)\(g.sweep == "-" ? "" : "  sweep \(g.sweep)")")
      let labels = g.names.map { Metric.named($0)?.label ?? $0 }
      let width = labels.map(\.count).max() ?? 0
      for (name, label) in zip(g.names, labels) {
        guard let e = g.metrics[name] else { continue }
        let pad = String(repeating: " ", count: width - label.count)
        print("  \(label)\(pad)  \(number(e.mean)) ± \(number(e.halfWidth))")
      }
    }
  }

  static func number(_ x: Double) -> String { String(format: "%.4g", x) }

  /// The progress bar on a terminal, one plain line with ETA per finished run otherwise (standard
  /// error). Called by the runner one call at a time.
  final class Progress: @unchecked Sendable {
    let line: ProgressLine?
    init(_ line: ProgressLine?) { self.line = line }
    func update(_ done: Int, _ total: Int, _ label: String) { line?.update(done, total, step: label) }
    func finish() { line?.finish() }
  }
}

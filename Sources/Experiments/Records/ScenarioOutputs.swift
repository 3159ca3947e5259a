// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// The one path from runs to files, shared by `vhdsim run` and `vhdsim merge`: records are written
/// first, then read back and summarised. An unsharded run and a merge of shards therefore produce
/// their outputs from the same bytes, by the same code, and the files are equal by construction.
public enum ScenarioOutputs {
  /// Runs `shard`'s slice of `plan`'s units on the plan's worker threads and writes their records
  /// into `directory`; returns them. `progress(done, total, unit)` as
  /// ``ScenarioRunner/run(indices:progress:)``.
  @discardableResult
  public static func record(
    _ plan: RunPlan, shard: Shard, to directory: String,
    progress: @escaping @Sendable (Int, Int, ScenarioRun) -> Void = { _, _, _ in }
  ) throws -> [RunRecord] {
    let indices = shard.indices(runCount: plan.units.count)
    let outcomes = try plan.runner.run(indices: indices, progress: progress)
    let records = zip(indices, outcomes).map {
      RunRecord(index: $0, run: $1.run, metrics: $1.metrics, result: $1.result)
    }
    try RecordFiles.write(plan: plan, shard: shard, records: records, to: directory)
    return records
  }

  /// Writes the unit records of `set` into `directory` as one whole-scenario shard, then every output.
  @discardableResult
  public static func write(_ set: RunSet, to directory: String, gnuplot: Gnuplot?) throws -> Written {
    try RecordFiles.write(plan: set.plan, shard: .whole, records: set.units, to: directory)
    return try summarize(directory: directory, gnuplot: gnuplot)
  }

  /// Reads the complete records in `directory` and writes `summary.json`, `runs.csv`, `timeseries.csv`,
  /// `samples.csv` (with samples), `comparison.json` and, unless `gnuplot` is nil, `report.md`,
  /// `report.html` and `plots/`.
  @discardableResult
  public static func summarize(directory: String, gnuplot: Gnuplot?) throws -> Written {
    let set = try RunSet.merge([try RecordFiles.read(directory: directory)])
    let report = ScenarioReport(set)
    var paths = try report.write(to: directory, samples: set.plan.options.samples)
    let dir = directory as NSString
    let comparison = try PolicyComparison(report)
    let comparisonPath = dir.appendingPathComponent("comparison.json")
    try Data(comparison.json.utf8).write(to: URL(fileURLWithPath: comparisonPath))
    paths.append(comparisonPath)
    // Files an earlier run into the same directory left and this one does not write would mislead.
    var stale = set.plan.options.samples ? [] : ["samples.csv"]
    if gnuplot == nil { stale += ["report.md", "report.html", "plots"] }
    for name in stale { try? FileManager.default.removeItem(atPath: dir.appendingPathComponent(name)) }
    if let gnuplot {
      let plots = dir.appendingPathComponent("plots")
      try? FileManager.default.removeItem(atPath: plots)
      let doc = try ReportBuilder(plan: set.plan, report: report, gnuplot: gnuplot).document(
        plotsDirectory: plots)
      for (name, text) in [("report.md", doc.markdown), ("report.html", doc.html)] {
        let path = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        paths.append(path)
      }
    }
    return Written(report: report, paths: paths)
  }

  /// What was written: the summary it was computed from, and the files' paths.
  public struct Written: Sendable {
    public var report: ScenarioReport
    public var paths: [String]
  }
}

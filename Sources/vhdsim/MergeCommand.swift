// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Experiments
import Foundation

/// `vhdsim merge`: combines the records of a scenario's shards into the files one unsharded run
/// writes (byte for byte), after checking that they are slices of the same scenario and options and
/// that together they hold every run exactly once.
struct MergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Combine the shards of a scenario run into the outputs of one unsharded run.",
    discussion: """
      Each DIR is a run or shard directory (it holds shard.json), or a directory whose immediate \
      subdirectories are (the --out of `vhdsim run --shard`, holding shard-I-of-N/). Refuses shards of \
      different scenarios or options (their digests differ), runs (or units: SRs of runs) present twice \
      and missing ones; combines each run's SRs by the same code an unsharded run uses. \
      Writes the combined records, summary.json, runs.csv, timeseries.csv, comparison.json, report.md, \
      report.html and plots/ into --out. See docs/running-at-scale.md.
      """)

  @Argument(help: "Shard directories, or directories holding them.") var directories: [String]
  @Option(help: ArgumentHelp("Output directory.", valueName: "dir")) var out: String
  @Flag(help: "Skip report.md, report.html and the plots.") var noReport = false
  @OptionGroup var progressOptions: ProgressOptions

  func validate() throws {
    guard !directories.isEmpty else { throw ValidationError("give at least one shard directory") }
  }

  /// The record directories `dir` names: itself, or its immediate subdirectories holding a manifest.
  static func expand(_ dir: String) throws -> [String] {
    if RecordFiles.isRecordsDirectory(dir) { return [dir] }
    guard FileManager.default.fileExists(atPath: dir) else { throw CommandLineError.noInput(dir, "folder") }
    let children = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    let found = children.sorted().map { (dir as NSString).appendingPathComponent($0) }
      .filter(RecordFiles.isRecordsDirectory)
    guard !found.isEmpty else {
      throw CommandLineError(
        status: ExitStatus.dataError,
        description: "\(dir): neither a run or shard directory (no shard.json) nor holds any")
    }
    return found
  }

  func run() throws {
    try runReportingErrors {
      let dirs = try directories.flatMap(Self.expand)
      let progress = progressOptions.line("merge")
      var parts: [ShardRecords] = []
      for dir in dirs {
        parts.append(try RecordFiles.read(directory: dir))
        progress?.update(parts.count, dirs.count, step: "read \(dir)")
      }
      progress?.finish()
      let set = try RunSet.merge(parts)
      try prepareOutputFolder(out, flag: "--out")
      let units = set.units.count == set.records.count ? "" : " (\(set.units.count) units)"
      print("\(set.scenario.name): merged \(set.records.count) runs\(units) from \(parts.count) directories")
      let written = try ScenarioOutputs.write(set, to: out, gnuplot: noReport ? nil : .fromPath())
      print("wrote \(written.paths.joined(separator: ", "))")
    }
  }
}

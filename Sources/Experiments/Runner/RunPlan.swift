// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Simulation

/// A scenario file's text with the options it is run under: what every shard of a study must agree
/// on. Its ``digest`` covers the text and every option that changes results or outputs (replicates,
/// seed, quick, samples) — not `jobs`, which never changes a number — so `merge` can refuse slices
/// of different studies.
public struct RunPlan: Sendable {
  /// The scenario file as written (kept beside the records, so a merge needs nothing else).
  public let source: String
  /// Where it was read from (error messages; reports show the last path component).
  public let file: String
  public let options: ScenarioRunner.Options
  public let runner: ScenarioRunner

  public init(source: String, file: String, options: ScenarioRunner.Options) throws(ScenarioError) {
    self.source = source
    self.file = file
    self.options = options
    runner = try ScenarioRunner(scenario: try Scenario.parse(yaml: source, file: file), options: options)
  }

  public static func load(path: String, options: ScenarioRunner.Options) throws(ScenarioError) -> RunPlan {
    try RunPlan(source: try Scenario.readText(path: path), file: path, options: options)
  }

  /// The scenario as run (overrides applied).
  public var scenario: Scenario { runner.scenario }
  public var runs: [ScenarioRun] { runner.runs }
  /// What shards split and records hold: every run's SRs (``ScenarioRunner/units``).
  public var units: [ScenarioRun] { runner.units }
  /// What a record is, in merge errors: a run, or with several SRs a run one SR of it ("unit").
  public var unitNoun: String { runner.srCount > 1 ? "unit" : "run" }

  /// The options that shape results, in a fixed text form.
  public var canonicalOptions: String {
    "replicates=\(scenario.replicates);seed=\(scenario.seed);quick=\(options.quick);samples=\(options.samples)"
  }

  /// 16 hex digits: FNV-1a over the records format, the scenario text and ``canonicalOptions``.
  public var digest: String {
    var h = FNV1a64()
    h.combine(bytes: RecordFiles.format.utf8)
    h.combine(byte: 0)
    h.combine(bytes: source.utf8)
    h.combine(byte: 0)
    h.combine(bytes: canonicalOptions.utf8)
    let hex = String(h.value, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }
}

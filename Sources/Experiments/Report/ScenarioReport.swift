// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import Statistics

/// What a scenario's runs add up to: per (policy, sweep point), every metric's mean over the
/// replicates with a 95 % t interval, and the tidy tables of every value. Computed from run records
/// only, with sorted keys and fixed number formatting, so the same records give byte-identical files
/// whether they came from one process or were merged from shards.
///
/// - `summary.json`: `{"policies": [{["leaf_coalesce",] "metrics": {METRIC: {"ci_high", "ci_low",
///   "mean", "n"}}, "name", "sweep"}], "replicates", "scenario", "seed"}`, one entry per policy and
///   sweep point in scenario order (`sweep` is `-` without a sweep).
/// - `runs.csv`: `scenario,policy,sweep,replicate,seed,metric,value`, one row per replicate × policy ×
///   sweep point × metric (sweep assignments joined with `;`).
/// - `timeseries.csv`: `scenario,run,policy,sweep,replicate,time_s,series,value`.
/// - `samples.csv` (with `--samples`): `scenario,run,policy,sweep,replicate,` + the trace columns.
public struct ScenarioReport: Sendable {
  public struct Estimate: Sendable, Equatable {
    public var mean: Double
    public var low: Double
    public var high: Double
    public var n: Int
    /// Two or more replicates, all equal (to ``degenerateRelativeSD`` of their magnitude): the metric
    /// is deterministic here, reported as "exact" rather than with a "± 0" interval.
    public var constant = false
    public var halfWidth: Double { (high - low) / 2 }
    /// Fewer replicates than ``ScenarioReport/fewReplicates``: intervals are wide, rank tests coarse.
    public var isFew: Bool { n < ScenarioReport.fewReplicates }
  }

  public struct Group: Sendable {
    public var policy: String
    public var policyIndex: Int
    public var sweepIndex: Int
    public var sweep: String
    /// Metric names in report order.
    public var names: [String]
    public var metrics: [String: Estimate]
    /// Each metric's per-replicate values, in replicate order.
    public var samples: [String: [Double]]
    /// Positions in ``records`` of this group's runs.
    public var recordIndices: [Int]
  }

  public let scenario: Scenario
  public let runs: [ScenarioRun]
  /// Parallel to ``runs``.
  public let records: [RunRecord]
  public let groups: [Group]

  public static let level = 0.95
  /// Below this many replicates a finding says its intervals rest on few samples (at 3 vs 3 the exact
  /// Mann–Whitney p cannot go below 0.1, and t(0.975, 2) = 4.30 makes intervals wide).
  public static let fewReplicates = 5

  /// A complete run set.
  public init(_ set: RunSet) {
    self.init(scenario: set.scenario, runs: set.runs, records: set.records)
  }

  /// `outcomes` in scenario order, as ``ScenarioRunner/run(progress:)`` returns them for a scenario
  /// of one SR per run (with several, its outcomes are units: combine them through ``RunSet``).
  public init(scenario: Scenario, outcomes: [ScenarioRunner.Outcome]) {
    self.init(
      scenario: scenario, runs: outcomes.map(\.run),
      records: outcomes.enumerated().map {
        RunRecord(index: $0, run: $1.run, metrics: $1.metrics, result: $1.result)
      })
  }

  /// `runs[k]` made `records[k]`.
  public init(scenario: Scenario, runs: [ScenarioRun], records: [RunRecord]) {
    self.scenario = scenario
    self.runs = runs
    self.records = records
    var groups: [Group] = []
    var index: [String: Int] = [:]
    for (k, (run, record)) in zip(runs, records).enumerated() {
      let key = "\(run.policyIndex)/\(run.sweepIndex)"
      let g: Int
      if let found = index[key] {
        g = found
      } else {
        g = groups.count
        index[key] = g
        groups.append(
          Group(
            policy: run.policy, policyIndex: run.policyIndex, sweepIndex: run.sweepIndex,
            sweep: Self.sweepLabel(run), names: [], metrics: [:], samples: [:], recordIndices: []))
      }
      groups[g].recordIndices.append(k)
      for m in record.metrics {
        if groups[g].samples[m.name] == nil { groups[g].names.append(m.name) }
        groups[g].samples[m.name, default: []].append(m.value)
      }
    }
    for g in groups.indices {
      for (name, xs) in groups[g].samples { groups[g].metrics[name] = Self.estimate(xs) }
    }
    self.groups = groups
  }

  /// Mean and 95 % t interval; a single value is its own interval.
  static func estimate(_ xs: [Double]) -> Estimate {
    guard xs.count >= 2, let ci = try? ConfidenceInterval.mean(of: xs, level: level) else {
      // One value, or (for ConfidenceInterval) none: its own interval.
      let m = xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count)
      return Estimate(mean: m, low: m, high: m, n: xs.count)
    }
    let spread = (xs.max() ?? 0) - (xs.min() ?? 0)
    let constant = spread <= degenerateRelativeSD * (xs.map(abs).max() ?? 0)
    return Estimate(mean: ci.estimate, low: ci.lower, high: ci.upper, n: xs.count, constant: constant)
  }

  static func sweepLabel(_ run: ScenarioRun) -> String {
    run.point.isEmpty ? "-" : run.point.map(\.description).joined(separator: ";")
  }

  /// Every metric name in first-seen order over all groups.
  public var metricNames: [String] {
    var seen = Set<String>()
    var out: [String] = []
    for g in groups { for n in g.names where seen.insert(n).inserted { out.append(n) } }
    return out
  }

  /// Fixed formatting: up to 10 significant digits, `%g` style, `0` for a zero of either sign.
  public static func format(_ x: Double) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
    if x == 0 { return "0" }
    return String(format: "%.10g", x)
  }

  /// `summary.json`'s text (keys sorted, pretty printed, trailing newline).
  public var summaryJSON: String {
    let policies = groups.map { g in
      var design = scenario.policies[g.policyIndex].leafCoalesce
      // A sweep of gc.leaf_coalesce sets the design per point, over the policy's.
      let point = g.recordIndices.first.map { runs[$0].point } ?? []
      if design != nil,
        case .leafCoalesce(let swept)? = point.last(where: { $0.parameter == .gcLeafCoalesce })?.value
      {
        design = swept
      }
      return SummaryFile.Group(
        leafCoalesce: design?.name,
        metrics: g.metrics.mapValues {
          SummaryFile.Estimate(
            ciHigh: JSONNumber($0.high), ciLow: JSONNumber($0.low), mean: JSONNumber($0.mean), n: $0.n)
        }, name: g.policy, sweep: g.sweep)
    }
    return JSONOutput.text(
      SummaryFile(
        policies: policies, replicates: scenario.replicates, scenario: scenario.name, seed: scenario.seed))
  }

  public static let csvHeader = "scenario,policy,sweep,replicate,seed,metric,value"
  public static let timeSeriesHeader = "scenario,run,policy,sweep,replicate,time_s,series,value"
  public static let samplesHeaderPrefix = "scenario,run,policy,sweep,replicate"

  /// `runs.csv`'s text: rows in scenario order, metrics in report order.
  public var runsCSV: String {
    var out = Self.csvHeader + "\n"
    for (run, record) in zip(runs, records) {
      let prefix = "\(scenario.name),\(run.policy),\(Self.sweepLabel(run)),\(run.replicate),\(run.seed)"
      for m in record.metrics { out += "\(prefix),\(m.name),\(Self.format(m.value))\n" }
    }
    return out
  }

  /// `timeseries.csv`'s text: runs in scenario order, each run's series in record order.
  public var timeSeriesCSV: String {
    var out = Self.timeSeriesHeader + "\n"
    for (run, record) in zip(runs, records) {
      let prefix = "\(scenario.name),\(record.index),\(run.policy),\(Self.sweepLabel(run)),\(run.replicate)"
      for p in record.series {
        out += "\(prefix),\(Self.format(p.time)),\(p.series),\(Self.format(p.value))\n"
      }
    }
    return out
  }

  /// `samples.csv`'s text: one row per guest request of every run.
  public var samplesCSV: String {
    var out = Self.samplesHeaderPrefix + "," + TraceRecord.csvHeader + "\n"
    for (run, record) in zip(runs, records) {
      let prefix = "\(scenario.name),\(record.index),\(run.policy),\(Self.sweepLabel(run)),\(run.replicate)"
      for s in record.samples { out += "\(prefix),\(s)\n" }
    }
    return out
  }

  /// Writes `summary.json`, `runs.csv` and `timeseries.csv` (and `samples.csv` when `samples`) into
  /// `directory` (created if missing); returns their paths in that order.
  @discardableResult
  public func write(to directory: String, samples: Bool = false) throws -> [String] {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var files = [("summary.json", summaryJSON), ("runs.csv", runsCSV), ("timeseries.csv", timeSeriesCSV)]
    if samples { files.append(("samples.csv", samplesCSV)) }
    var paths: [String] = []
    for (name, text) in files {
      let path = (directory as NSString).appendingPathComponent(name)
      try Data(text.utf8).write(to: URL(fileURLWithPath: path))
      paths.append(path)
    }
    return paths
  }
}

/// `summary.json`: per (policy, sweep point) in run order, every metric's mean and 95 % interval.
struct SummaryFile: Encodable {
  struct Group: Encodable {
    /// Managed-SR scenarios only (absent otherwise).
    var leafCoalesce: String?
    var metrics: [String: Estimate]
    var name: String
    var sweep: String

    enum CodingKeys: String, CodingKey {
      case leafCoalesce = "leaf_coalesce"
      case metrics, name, sweep
    }
  }

  struct Estimate: Encodable {
    var ciHigh: JSONNumber
    var ciLow: JSONNumber
    var mean: JSONNumber
    var n: Int

    enum CodingKeys: String, CodingKey {
      case ciHigh = "ci_high"
      case ciLow = "ci_low"
      case mean, n
    }
  }

  var policies: [Group]
  var replicates: Int
  var scenario: String
  var seed: UInt64
}

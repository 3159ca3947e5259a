// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Statistics

/// What a scenario's runs add up to: per (policy, sweep point), every metric's mean over the
/// replicates with a 95 % t interval, and the tidy table of every value. Both files are written with
/// sorted keys and fixed number formatting, so the same inputs give byte-identical files.
///
/// - `summary.json`: `{"policies": [{"metrics": {METRIC: {"ci_high", "ci_low", "mean", "n"}}, "name",
///   "sweep"}], "replicates", "scenario", "seed"}`, one entry per policy and sweep point in scenario
///   order (`sweep` is `-` without a sweep).
/// - `runs.csv`: `scenario,policy,sweep,replicate,seed,metric,value`, one row per replicate × policy ×
///   sweep point × metric (sweep assignments joined with `;`).
public struct ScenarioReport: Sendable {
  public struct Estimate: Sendable, Equatable {
    public var mean: Double
    public var low: Double
    public var high: Double
    public var n: Int
    public var halfWidth: Double { (high - low) / 2 }
  }

  public struct Group: Sendable {
    public var policy: String
    public var sweep: String
    /// Metric names in report order.
    public var names: [String]
    public var metrics: [String: Estimate]
  }

  public let scenario: Scenario
  public let outcomes: [ScenarioRunner.Outcome]
  public let groups: [Group]

  public static let level = 0.95

  /// `outcomes` in scenario order, as ``ScenarioRunner/run(progress:)`` returns them.
  public init(scenario: Scenario, outcomes: [ScenarioRunner.Outcome]) {
    self.scenario = scenario
    self.outcomes = outcomes
    var groups: [Group] = []
    var index: [String: Int] = [:]
    var samples: [[String: [Double]]] = []
    for o in outcomes {
      let key = "\(o.run.policyIndex)/\(o.run.sweepIndex)"
      let g: Int
      if let found = index[key] {
        g = found
      } else {
        g = groups.count
        index[key] = g
        groups.append(
          Group(policy: o.run.policy, sweep: Self.sweepLabel(o.run), names: o.metrics.names, metrics: [:]))
        samples.append([:])
      }
      for (name, value) in o.metrics.values { samples[g][name, default: []].append(value) }
    }
    for g in groups.indices {
      for (name, xs) in samples[g] { groups[g].metrics[name] = Self.estimate(xs) }
    }
    self.groups = groups
  }

  /// Mean and 95 % t interval; a single value is its own interval.
  static func estimate(_ xs: [Double]) -> Estimate {
    guard xs.count >= 2, let ci = try? ConfidenceInterval.mean(of: xs, level: level) else {
      let m = xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count)
      return Estimate(mean: m, low: m, high: m, n: xs.count)
    }
    return Estimate(mean: ci.estimate, low: ci.lower, high: ci.upper, n: xs.count)
  }

  static func sweepLabel(_ run: ScenarioRun) -> String {
    run.point.isEmpty ? "-" : run.point.map(\.description).joined(separator: ";")
  }

  /// Fixed formatting: up to 10 significant digits, `%g` style, `0` for a zero of either sign.
  public static func format(_ x: Double) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
    if x == 0 { return "0" }
    return String(format: "%.10g", x)
  }

  static func jsonString(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      default:
        if c.value < 0x20 { out += String(format: "\\u%04x", c.value) } else { out.unicodeScalars.append(c) }
      }
    }
    return out + "\""
  }

  static func jsonNumber(_ x: Double) -> String { x.isFinite ? format(x) : "null" }

  /// `summary.json`'s text (keys sorted, two-space indent, trailing newline).
  public var summaryJSON: String {
    var lines: [String] = ["{", "  \"policies\": ["]
    for (gi, g) in groups.enumerated() {
      lines.append("    {")
      lines.append("      \"metrics\": {")
      let names = g.metrics.keys.sorted()
      for (ni, name) in names.enumerated() {
        let e = g.metrics[name]!
        let comma = ni == names.count - 1 ? "" : ","
        lines.append(
          "        \(Self.jsonString(name)): {\"ci_high\": \(Self.jsonNumber(e.high)), "
            + "\"ci_low\": \(Self.jsonNumber(e.low)), \"mean\": \(Self.jsonNumber(e.mean)), \"n\": \(e.n)}"
            + comma)
      }
      lines.append("      },")
      lines.append("      \"name\": \(Self.jsonString(g.policy)),")
      lines.append("      \"sweep\": \(Self.jsonString(g.sweep))")
      lines.append(gi == groups.count - 1 ? "    }" : "    },")
    }
    lines.append("  ],")
    lines.append("  \"replicates\": \(scenario.replicates),")
    lines.append("  \"scenario\": \(Self.jsonString(scenario.name)),")
    lines.append("  \"seed\": \(scenario.seed)")
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }

  public static let csvHeader = "scenario,policy,sweep,replicate,seed,metric,value"

  /// `runs.csv`'s text: rows in scenario order, metrics in report order.
  public var runsCSV: String {
    var lines = [Self.csvHeader]
    for o in outcomes {
      let prefix =
        "\(scenario.name),\(o.run.policy),\(Self.sweepLabel(o.run)),\(o.run.replicate),\(o.run.seed)"
      for name in o.metrics.names {
        lines.append("\(prefix),\(name),\(Self.format(o.metrics.values[name] ?? 0))")
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Writes `summary.json` and `runs.csv` into `directory` (created if missing); returns their paths.
  @discardableResult
  public func write(to directory: String) throws -> [String] {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let summary = (directory as NSString).appendingPathComponent("summary.json")
    let runs = (directory as NSString).appendingPathComponent("runs.csv")
    try Data(summaryJSON.utf8).write(to: URL(fileURLWithPath: summary))
    try Data(runsCSV.utf8).write(to: URL(fileURLWithPath: runs))
    return [summary, runs]
  }
}

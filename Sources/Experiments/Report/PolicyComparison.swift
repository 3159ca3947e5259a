// SPDX-License-Identifier: GPL-3.0-or-later
import Statistics

/// Every policy against a baseline, metric by metric, at each sweep point: what `vhdsim compare` prints
/// and the report tabulates. Differences are policy − baseline, with Welch's t interval (replicates of
/// two policies need not have equal variance), the relative difference with its delta-method interval,
/// Welch's p, Mann–Whitney's p for latency metrics (skewed, where ranks are safer), and Cohen's d.
/// A statistic that is undefined (one replicate, or no variance on either side) is absent, not faked;
/// the table bounds |d| above 10 and writes "n/a (no variance)" where d is undefined (``ReportCells``).
public struct PolicyComparison: Sendable {
  public struct Row: Sendable, Equatable {
    public var sweep: String
    public var metric: String
    public var policy: String
    public var baseline: String
    public var n: Int
    public var baselineN: Int
    public var mean: Double
    public var baselineMean: Double
    /// mean − baseline mean.
    public var difference: Double
    /// Welch 95 % interval of the difference.
    public var differenceCI: ClosedRange<Double>?
    /// difference / baseline mean (nil when the baseline mean is 0).
    public var relative: Double?
    public var relativeCI: ClosedRange<Double>?
    public var welchP: Double?
    /// Only for latency metrics.
    public var mannWhitneyP: Double?
    public var cohensD: Double?
  }

  public let baseline: String
  public let rows: [Row]

  public static let level = 0.95

  /// Whether a metric gets the rank test too: latencies are skewed and heavy-tailed.
  public static func isLatency(_ metric: String) -> Bool { metric.contains("latency") }

  /// Compares every policy of `report` with `baseline` (default: the scenario's `report.baseline`,
  /// else its first policy).
  public init(_ report: ScenarioReport, baseline: String? = nil) throws(CompareError) {
    let policies = report.scenario.policies.map(\.name)
    let base = baseline ?? report.scenario.report?.baseline ?? policies[0]
    guard policies.contains(base) else { throw .unknownBaseline(base, known: policies) }
    self.baseline = base
    var rows: [Row] = []
    for g in report.groups where g.policy != base {
      guard let b = report.groups.first(where: { $0.policy == base && $0.sweepIndex == g.sweepIndex }) else {
        continue
      }
      for name in g.names {
        guard let xs = g.samples[name], let ys = b.samples[name], !xs.isEmpty, !ys.isEmpty else { continue }
        rows.append(Self.row(sweep: g.sweep, metric: name, policy: g.policy, baseline: base, xs, ys))
      }
    }
    self.rows = rows
  }

  static func row(
    sweep: String, metric: String, policy: String, baseline: String, _ xs: [Double], _ ys: [Double]
  ) -> Row {
    let mx = xs.reduce(0, +) / Double(xs.count)
    let my = ys.reduce(0, +) / Double(ys.count)
    var row = Row(
      sweep: sweep, metric: metric, policy: policy, baseline: baseline, n: xs.count, baselineN: ys.count,
      mean: mx, baselineMean: my, difference: mx - my, differenceCI: nil,
      relative: my == 0 ? nil : (mx - my) / my, relativeCI: nil, welchP: nil, mannWhitneyP: nil, cohensD: nil)
    if let t = try? welchTTest(xs, ys, level: level) {
      row.differenceCI = t.meanDifference.lower...t.meanDifference.upper
      row.relativeCI = t.relativeDifference.map { $0.lower...$0.upper }
      row.welchP = t.pValue
    }
    if isLatency(metric), let u = try? mannWhitneyU(xs, ys) { row.mannWhitneyP = u.pValue }
    row.cohensD = try? cohensD(xs, ys)
    return row
  }

  // MARK: Text

  static func number(_ x: Double?) -> String {
    guard let x else { return "-" }
    return ScenarioReport.format(Double(String(format: "%.4g", x)) ?? x)
  }

  static func percent(_ x: Double?) -> String {
    guard let x else { return "-" }
    return String(format: "%+.1f%%", x * 100)
  }

  static func interval(_ r: ClosedRange<Double>?, percent: Bool = false) -> String {
    guard let r else { return "-" }
    return percent
      ? "[\(Self.percent(r.lowerBound)), \(Self.percent(r.upperBound))]"
      : "[\(number(r.lowerBound)), \(number(r.upperBound))]"
  }

  static func pValue(_ p: Double?) -> String {
    guard let p else { return "-" }
    return p < 0.0001 ? "<0.0001" : String(format: "%.4f", p)
  }

  public static let columns = [
    "sweep", "metric", "policy", "n", "mean", "baseline", "n_b", "mean_b", "diff", "diff 95% CI", "rel",
    "rel 95% CI", "p (Welch)", "p (MWU)", "d",
  ]

  /// Each row's cells, as the table and the report show them.
  public func cells(_ r: Row) -> [String] {
    [
      r.sweep, r.metric, r.policy, "\(r.n)", Self.number(r.mean), r.baseline, "\(r.baselineN)",
      Self.number(r.baselineMean), Self.number(r.difference), Self.interval(r.differenceCI),
      Self.percent(r.relative), Self.interval(r.relativeCI, percent: true), Self.pValue(r.welchP),
      Self.pValue(r.mannWhitneyP), ReportCells.effect(r),
    ]
  }

  /// A plain aligned table (header, then one line per row).
  public var table: String {
    let all = [Self.columns] + rows.map(cells)
    var widths = Array(repeating: 0, count: Self.columns.count)
    for line in all { for (i, c) in line.enumerated() { widths[i] = max(widths[i], c.count) } }
    return all.map { line in
      line.enumerated().map { i, c in c + String(repeating: " ", count: widths[i] - c.count) }
        .joined(separator: "  ").trimmingTrailingSpaces()
    }.joined(separator: "\n") + "\n"
  }

  /// The rows as JSON (keys sorted, numbers to 10 significant digits, `null` for an undefined
  /// statistic): `comparison.json`.
  public var json: String {
    JSONOutput.text(
      ComparisonFile(baseline: baseline, level: Self.level, rows: rows.map(ComparisonFile.Row.init)))
  }
}

/// `comparison.json` (and `vhdsim compare --json`).
struct ComparisonFile: Encodable {
  var baseline: String
  var level: Double
  var rows: [Row]

  struct Row: Encodable {
    var row: PolicyComparison.Row

    enum CodingKeys: String, CodingKey {
      case baselineMean = "baseline_mean"
      case baselineN = "baseline_n"
      case cohensD = "cohens_d"
      case difference
      case differenceCI = "difference_ci"
      case mannWhitneyP = "mann_whitney_p"
      case mean, metric, n, policy, relative
      case relativeCI = "relative_ci"
      case sweep
      case welchP = "welch_p"
    }

    /// Every key is written; an undefined statistic is `null`.
    func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      func interval(_ r: ClosedRange<Double>?) -> [JSONNumber]? {
        r.map { [JSONNumber($0.lowerBound), JSONNumber($0.upperBound)] }
      }
      try c.encode(JSONNumber(row.baselineMean), forKey: .baselineMean)
      try c.encode(row.baselineN, forKey: .baselineN)
      try c.encode(JSONNumber(row.cohensD), forKey: .cohensD)
      try c.encode(JSONNumber(row.difference), forKey: .difference)
      try c.encode(interval(row.differenceCI), forKey: .differenceCI)
      try c.encode(JSONNumber(row.mannWhitneyP), forKey: .mannWhitneyP)
      try c.encode(JSONNumber(row.mean), forKey: .mean)
      try c.encode(row.metric, forKey: .metric)
      try c.encode(row.n, forKey: .n)
      try c.encode(row.policy, forKey: .policy)
      try c.encode(JSONNumber(row.relative), forKey: .relative)
      try c.encode(interval(row.relativeCI), forKey: .relativeCI)
      try c.encode(row.sweep, forKey: .sweep)
      try c.encode(JSONNumber(row.welchP), forKey: .welchP)
    }
  }
}

/// A comparison that cannot be made as asked.
public enum CompareError: Error, Equatable, Sendable, CustomStringConvertible {
  case unknownBaseline(String, known: [String])

  public var description: String {
    switch self {
    case .unknownBaseline(let name, let known):
      "--baseline: no policy \"\(name)\"; the scenario's policies are \(known.joined(separator: ", "))"
    }
  }
}

extension String {
  func trimmingTrailingSpaces() -> String {
    var s = self
    while s.last == " " { s.removeLast() }
    return s
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// One number a run records, as the registry (``Metric/all``, ``Metric/families``) describes it: the
/// name written in records, its unit, what it measures in one sentence and which way is better. Every
/// producer writes its values under these names, the regression suite's KPIs name these entries,
/// reports take their headings from them and `docs/metrics.md` is generated from them.
public struct Metric: Sendable, Hashable, CustomStringConvertible {
  /// Which way a change is an improvement.
  public enum Direction: String, Sendable, CaseIterable {
    case lowerIsBetter = "lower is better"
    case higherIsBetter = "higher is better"
    case neither = "neither"
  }

  /// Which runs produce the metric.
  public enum Scope: String, Sendable, CaseIterable {
    /// Every run (plain, managed-SR and consistency-check).
    case run
    /// Managed-SR runs (`GCResult`).
    case gc
    /// Managed-SR runs with at least three snapshot-coalesce iterations (the fixed-point model of
    /// docs/storage-manager.md#fixed-point fitted to them).
    case snapshotCoalesce
    /// Consistency-check runs.
    case consistency

    /// A heading for the scope's table.
    public var title: String {
      switch self {
      case .run: "Every run"
      case .gc: "Managed-SR runs (garbage collector)"
      case .snapshotCoalesce: "Snapshot-coalesce fit (managed-SR runs with 3 or more iterations)"
      case .consistency: "Consistency-check runs"
      }
    }
  }

  /// As written in records (`records/metrics.csv`, `runs.csv`, `summary.json`).
  public let name: String
  /// The value's unit (`µs`, `bytes`, `s`, `count`, …).
  public let unit: String
  /// One sentence: what the value measures.
  public let summary: String
  public let direction: Direction
  public let scope: Scope
  /// How a run of several SRs combines the SRs' values (``Aggregation``).
  public let aggregation: Aggregation

  public init(
    _ name: String, unit: String, _ direction: Direction, _ scope: Scope, _ summary: String,
    across aggregation: Aggregation
  ) {
    self.name = name
    self.unit = unit
    self.summary = summary
    self.direction = direction
    self.scope = scope
    self.aggregation = aggregation
  }

  public var description: String { name }

  /// `name (unit)`: a heading or table label.
  public var label: String { "\(name) (\(unit))" }
}

/// A parameterised set of metrics, one per value of an integer parameter: `prefix` + the value
/// (`bitmap_lookups_per_request_level_0`, `_1`, …).
public struct MetricFamily: Sendable, Hashable {
  public let prefix: String
  /// The parameter's name in ``pattern`` (`K`).
  public let parameter: String
  /// What the parameter is.
  public let parameterMeaning: String
  public let unit: String
  public let summary: String
  public let direction: Metric.Direction
  public let scope: Metric.Scope
  public let aggregation: Metric.Aggregation

  /// The family's names as documented: `prefix` + `{parameter}`.
  public var pattern: String { prefix + "{" + parameter + "}" }

  /// The family's metric for parameter value `k`.
  public func callAsFunction(_ k: Int) -> Metric {
    Metric(prefix + String(k), unit: unit, direction, scope, summary, across: aggregation)
  }

  /// The parameter value of `name` when it is one of the family's names.
  public func parameterValue(of name: String) -> Int? {
    guard name.hasPrefix(prefix) else { return nil }
    let rest = name.dropFirst(prefix.count)
    guard !rest.isEmpty, rest.allSatisfy(\.isASCII), let k = Int(rest), k >= 0, String(k) == rest else {
      return nil
    }
    return k
  }
}

extension Metric {
  /// The registry's entry called `name` (a fixed metric, or a member of a family); nil for a name no
  /// run produces.
  public static func named(_ name: String) -> Metric? {
    if let m = byName[name] { return m }
    for f in families { if let k = f.parameterValue(of: name) { return f(k) } }
    return nil
  }

  private static let byName: [String: Metric] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool

/// How far a policy may sit from the baseline on one metric and still count as agreeing with it
/// (`report.equivalence`): the study states its margin up front, and the report says, per metric,
/// whether the 95 % interval of the difference lies inside it (``Statistics/equivalenceTest``).
public struct EquivalenceMargin: Equatable, Sendable {
  public enum Size: Equatable, Sendable {
    /// In the metric's own units (`gc_coalesces: 1` — within one coalesce).
    case absolute(Double)
    /// A fraction of the baseline's mean (`space_peak_bytes: 5%`).
    case relative(Double)
  }

  public var metric: String
  public var size: Size

  public init(metric: String, size: Size) {
    self.metric = metric
    self.size = size
  }

  /// The margin in the metric's units, given the baseline's mean.
  public func absolute(baselineMean: Double) -> Double {
    switch size {
    case .absolute(let x): x
    case .relative(let f): f * abs(baselineMean)
    }
  }

  /// As the report prints it: "±5 %" (of the baseline's mean) or "±1".
  public var text: String {
    switch size {
    case .absolute(let x): "±\(ScenarioReport.format(x))"
    case .relative(let f): "±\(ScenarioReport.format(f * 100)) %"
    }
  }

  /// Decodes `report.equivalence`: a mapping from metric names to a margin, `N%` or a plain number.
  static func decode(_ r: NodeReader, metric check: (NodeReader, String) throws(ScenarioError) -> Void)
    throws(ScenarioError) -> [EquivalenceMargin]
  {
    guard case .mapping(let map) = r.node else {
      throw r.error("report.equivalence: expected a mapping of metric names to margins, found \(r.found)")
    }
    var margins: [EquivalenceMargin] = []
    for (k, v) in map {
      let key = r.child(k, r.path)
      let name = try key.string()
      try check(key, name)
      guard !margins.contains(where: { $0.metric == name }) else {
        throw key.error("report.equivalence: \(name) is listed twice")
      }
      let value = r.child(v, "report.equivalence.\(name)")
      margins.append(EquivalenceMargin(metric: name, size: try size(value)))
    }
    guard !margins.isEmpty else { throw r.error("report.equivalence: expected at least one metric") }
    return margins
  }

  static func size(_ r: NodeReader) throws(ScenarioError) -> Size {
    let text = try r.string()
    let expected =
      "a margin: a percentage of the baseline (\"5%\") or a positive number in the metric's units"
    if text.hasSuffix("%") {
      guard let p = Double(text.dropLast().trimmingCharacters(in: .whitespaces)), p.isFinite, p > 0 else {
        throw r.error("\(r.path): expected \(expected), found \"\(text)\"")
      }
      return .relative(p / 100)
    }
    guard let x = Double(text), x.isFinite, x > 0 else {
      throw r.error("\(r.path): expected \(expected), found \"\(text)\"")
    }
    return .absolute(x)
  }
}

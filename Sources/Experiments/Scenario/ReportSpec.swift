// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool

/// What the scenario's report is for (`report` section): the question the study answers, the metrics
/// that answer it (headline metrics, first in the report and in its findings), the policy the others are
/// compared against, and the plots worth showing first. Without the section the report keeps its
/// generic order: every metric, the first policy as baseline, every plot.
public struct ReportSpec: Equatable, Sendable {
  /// Plots a report can draw, by the name of their files (`plots/NAME.svg`); `timeline` stands for
  /// every background-work timeline.
  public static let plotNames = [
    "chain-depth", "space", "lookups-per-level", "latency-cdf", "lookups-vs-depth", "timeline",
  ]

  /// One sentence, shown above the findings.
  public var question: String
  /// Registry metric names (``Metric/named(_:)``), in the order the findings discuss them.
  public var headline: [String]
  /// The policy differences are taken against (nil: the first policy).
  public var baseline: String?
  /// Plot names from ``plotNames``; the first is the headline plot under the findings.
  public var plots: [String]
  /// Metrics on which every policy is tested for agreement with the baseline (`equivalence`), each
  /// with its margin; empty: no equivalence section.
  public var equivalence: [EquivalenceMargin]

  public init(
    question: String, headline: [String], baseline: String? = nil, plots: [String] = [],
    equivalence: [EquivalenceMargin] = []
  ) {
    self.question = question
    self.headline = headline
    self.baseline = baseline
    self.plots = plots
    self.equivalence = equivalence
  }

  static let keys = ["question", "headline", "baseline", "plots", "equivalence"]

  /// Decodes the section; `policies`, `managed` and `consistencyCheck` are the scenario's, so a
  /// baseline no policy has or a metric no run of this scenario produces is an error at its line.
  static func decode(
    _ r: NodeReader, policies: [Policy], managed: Bool, consistencyCheck: Bool
  ) throws(ScenarioError) -> ReportSpec {
    let map = try r.mapping(allowed: keys)
    let questionNode = try map.required("question")
    let question = try questionNode.string().trimmingCharacters(in: .whitespacesAndNewlines)
    guard !question.isEmpty else {
      throw questionNode.error("report.question: expected a sentence, found an empty string")
    }
    /// A metric this scenario's runs produce, or an error at `item`.
    func check(_ item: NodeReader, _ name: String) throws(ScenarioError) {
      guard let metric = Metric.named(name) else {
        throw item.error("\(item.path): no metric \"\(name)\" (see `vhdsim metrics` for the names)")
      }
      let produced: Bool
      switch metric.scope {
      case .run: produced = true
      case .gc, .snapshotCoalesce: produced = managed
      case .consistency: produced = consistencyCheck
      }
      guard produced else {
        throw item.error(
          "\(item.path): \(name) is a \(metric.scope.title.lowercased()) metric, which this scenario does not produce"
        )
      }
    }
    var headline: [String] = []
    let list = try map.required("headline")
    for item in try list.sequence() {
      let name = try item.string()
      try check(item, name)
      guard !headline.contains(name) else { throw item.error("\(item.path): \(name) is listed twice") }
      headline.append(name)
    }
    guard !headline.isEmpty else {
      throw list.error("report.headline: expected at least one metric, found an empty list")
    }
    var baseline: String?
    if let b = map["baseline"] {
      let name = try b.string()
      guard policies.contains(where: { $0.name == name }) else {
        throw b.error(
          "report.baseline: no policy \"\(name)\"; the scenario's policies are "
            + policies.map(\.name).joined(separator: ", "))
      }
      baseline = name
    }
    var plots: [String] = []
    if let p = map["plots"] {
      for item in try p.sequence() {
        let name = try item.choice(plotNames.map { ($0, $0) })
        guard !plots.contains(name) else { throw item.error("\(item.path): \(name) is listed twice") }
        plots.append(name)
      }
    }
    let equivalence = try map["equivalence"].map { (e) throws(ScenarioError) in
      guard policies.count > 1 else {
        throw (map.keyReader("equivalence") ?? e).error(
          "report.equivalence: needs at least two policies (each is tested against the baseline)")
      }
      return try EquivalenceMargin.decode(e, metric: check)
    }
    return ReportSpec(
      question: question, headline: headline, baseline: baseline, plots: plots, equivalence: equivalence ?? []
    )
  }
}

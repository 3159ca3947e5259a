// SPDX-License-Identifier: GPL-3.0-or-later
import Pool

/// The report's opening sentences, generated from the numbers: for each headline metric, what each
/// policy reached (grouped when the metric is exact in every replicate: "1 level for `mirror`,
/// `snapshot-coalesce`"), and how each differs from the baseline with its 95 % interval and p, or
/// "not significant (p = …)"; why a design stayed deeper (its leaf-coalesce outcomes); how few the
/// replicates are; how much warm-up was cut. No sentence states a number the tables do not hold.
struct ReportFindings {
  let report: ScenarioReport
  let comparison: PolicyComparison
  let headline: [String]

  static let significance = 0.05
  /// Sweeps with more points than this are summarised per policy (range of the difference) instead
  /// of one sentence per point.
  static let pointsListed = 3

  var sentences: [String] {
    var out: [String] = []
    for metric in headline where report.metricNames.contains(metric) { out += sentences(for: metric) }
    out += whyDeeper
    out += warmUp
    if let note = fewReplicatesNote { out.append(note) }
    return out
  }

  var sweeping: Bool { report.scenario.sweep.pointCount > 1 }

  func heading(_ metric: String) -> String {
    let m = Metric.named(metric)
    return "**\(m?.summary.trimmingCharacters(in: ["."]) ?? metric)** (`\(metric)`)"
  }

  func sentences(for metric: String) -> [String] {
    let groups = report.groups.filter { $0.metrics[metric] != nil }
    let scale = ReportCells.scale(metric, groups.compactMap { $0.metrics[metric]?.mean })
    if groups.allSatisfy({ $0.metrics[metric]!.constant || $0.metrics[metric]!.n == 1 }) {
      return [heading(metric) + ": " + exactValues(metric, groups, scale) + "."]
    }
    let rows = comparison.rows.filter { $0.metric == metric }
    guard !rows.isEmpty else {
      let values = groups.map { g in
        "\(sweeping ? "at \(g.sweep) " : "")`\(g.policy)` \(Self.value(g.metrics[metric]!, scale))"
      }
      return [heading(metric) + ": " + values.joined(separator: "; ") + "."]
    }
    var out: [String] = []
    for policy in report.scenario.policies.map(\.name) where policy != comparison.baseline {
      let mine = rows.filter { $0.policy == policy }
      guard !mine.isEmpty else { continue }
      if mine.count > Self.pointsListed {
        out.append(summary(metric, policy, mine))
      } else {
        let parts = mine.map { difference(metric, $0, scale) }
        out.append(
          heading(metric) + ", `\(policy)` against `\(comparison.baseline)`: " + parts.joined(separator: "; ")
            + ".")
      }
    }
    return out
  }

  /// Policies grouped by value, per sweep point: "1 level for `a`, `b`; 2 levels for `c`".
  func exactValues(_ metric: String, _ groups: [ScenarioReport.Group], _ scale: HumanScale) -> String {
    var parts: [String] = []
    let points = groups.map(\.sweep).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    for point in points {
      var byValue: [(value: Double, policies: [String])] = []
      for g in groups where g.sweep == point {
        let v = g.metrics[metric]!.mean
        if let i = byValue.firstIndex(where: { $0.value == v }) {
          byValue[i].policies.append("`\(g.policy)`")
        } else {
          byValue.append((v, ["`\(g.policy)`"]))
        }
      }
      let text = byValue.sorted { $0.value < $1.value }.map { v in
        "\(scale.text(v.value)) for \(v.policies.joined(separator: ", "))"
      }.joined(separator: "; ")
      parts.append((sweeping ? "at \(point): " : "") + text)
    }
    let n = groups.map { $0.metrics[metric]!.n }.min() ?? 0
    return parts.joined(separator: "; ") + (n >= 2 ? " (exact: the same in every replicate)" : "")
  }

  /// One comparison: both values with their intervals, the difference with its interval, and its test.
  func difference(_ metric: String, _ r: PolicyComparison.Row, _ scale: HumanScale) -> String {
    guard let mine = group(r.policy, r.sweep)?.metrics[metric],
      let base = group(r.baseline, r.sweep)?.metrics[metric]
    else { return "" }
    let at = sweeping ? "at \(r.sweep) " : ""
    if mine.constant && base.constant && mine.mean == base.mean {
      return at + "both exactly \(scale.text(mine.mean))"
    }
    var s = at + "\(Self.value(mine, scale)) against \(Self.value(base, scale)), "
    s += signed(r.difference, scale)
    if let rel = r.relative { s += " (\(PolicyComparison.percent(rel))" + relativeCI(r) + ")" }
    return s + ", " + test(r, exact: mine.constant && base.constant)
  }

  /// A value as a sentence quotes it: `138.8 µs [138.5, 139.1]` (its 95 % interval), `exact 161.8 µs`,
  /// or `81 µs (1 replicate)`.
  static func value(_ e: ScenarioReport.Estimate, _ s: HumanScale) -> String {
    if e.n <= 1 { return "\(s.text(e.mean)) (1 replicate)" }
    if e.constant { return "exact \(s.text(e.mean))" }
    let bounds = "[\(HumanScale.number(e.low / s.divisor)), \(HumanScale.number(e.high / s.divisor))]"
    return HumanScale.number(e.mean / s.divisor) + (s.showsUnit ? " \(s.unit) " : " ") + bounds
  }

  func relativeCI(_ r: PolicyComparison.Row) -> String {
    r.relativeCI.map { ", 95 % CI " + PolicyComparison.interval($0, percent: true) } ?? ""
  }

  func signed(_ x: Double, _ scale: HumanScale) -> String { (x > 0 ? "+" : "") + scale.text(x) }

  /// The test's verdict: "p = 0.003 (Welch)", "not significant (p = 0.43, Welch)", or why there is none.
  func test(_ r: PolicyComparison.Row, exact: Bool) -> String {
    if exact { return "exact on both sides (no test needed)" }
    let (p, name): (Double?, String) =
      r.welchP != nil ? (r.welchP, "Welch") : (r.mannWhitneyP, "exact Mann–Whitney")
    guard let p else { return "no test (a side has one replicate or no variance)" }
    return p < Self.significance
      ? "p \(ReportCells.p(p)) (\(name))" : "not significant (p = \(ReportCells.twoDigits(p)), \(name))"
  }

  /// A long sweep in one sentence: the smallest and largest relative difference and where, and at how
  /// many points it is significant.
  func summary(_ metric: String, _ policy: String, _ rows: [PolicyComparison.Row]) -> String {
    let rel = rows.filter { $0.relative != nil }
    let significant = rows.filter { r in (r.welchP ?? r.mannWhitneyP).map { $0 < Self.significance } ?? false
    }
    var s = heading(metric) + ": `\(policy)` against `\(comparison.baseline)` over \(rows.count) sweep points"
    if let lo = rel.min(by: { $0.relative! < $1.relative! }),
      let hi = rel.max(by: { $0.relative! < $1.relative! })
    {
      s +=
        " differs by \(PolicyComparison.percent(lo.relative)) (\(lo.sweep)) to "
        + "\(PolicyComparison.percent(hi.relative)) (\(hi.sweep))"
    }
    return s + "; significant (p < 0.05) at \(significant.count) of \(rows.count) points."
  }

  func group(_ policy: String, _ sweep: String) -> ScenarioReport.Group? {
    report.groups.first { $0.policy == policy && $0.sweep == sweep }
  }

  func mean(_ g: ScenarioReport.Group, _ metric: Metric) -> Double { g.metrics[metric.name]?.mean ?? 0 }

  /// Managed SRs whose designs end at different depths: what each deeper design's leaf-coalesce
  /// attempts came to (refused, given up, timed out, no space), beside the designs that got shallower.
  var whyDeeper: [String] {
    let depth = Metric.chainDepthAfterGC
    var out: [String] = []
    let points = report.groups.map(\.sweep).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    for point in points {
      let groups = report.groups.filter { $0.sweep == point && $0.metrics[depth.name] != nil }
      guard let best = groups.map({ mean($0, depth) }).min(),
        groups.contains(where: { mean($0, depth) > best })
      else { continue }
      let at = sweeping ? " at \(point)" : ""
      for g in groups {
        let d = HumanScale.number(mean(g, depth))
        let done = HumanScale.number(mean(g, .gcLeafCoalesces))
        if mean(g, depth) > best {
          let outcomes: [(Metric, String)] = [
            (.leafNotAllowed, "refused as too slow to copy paused"),
            (.leafGiveUps, "given up by the tracker"),
            (.leafTimeouts, "killed at the timeout"), (.leafNoSpace, "stopped for lack of space"),
          ]
          let reasons = outcomes.filter { mean(g, $0.0) > 0 }.map {
            "\(HumanScale.number(mean(g, $0.0))) \($0.1) (`\($0.0.name)`)"
          }
          let attempts = HumanScale.number(mean(g, .leafAttempts))
          out.append(
            "**Why `\(g.policy)` stays at \(d) levels\(at)**: \(attempts) leaf-coalesce attempts per run, "
              + "\(done) completed" + (reasons.isEmpty ? "" : "; " + reasons.joined(separator: ", "))
              + (mean(g, .leafAttempts) == 0 ? " (this design never merges the leaf into its parent)" : "")
              + ".")
        } else {
          let pause = Metric.leafPauseMax
          let p =
            g.metrics[pause.name].map { HumanScale.choose(unit: "s", magnitude: $0.mean).text($0.mean) }
            ?? "-"
          out.append(
            "`\(g.policy)` reaches \(d) level\(at): \(done) leaf coalesce completed per run, longest leaf pause \(p)."
          )
        }
      }
    }
    return out
  }

  /// Warm-up cut from each run, when the runs report one (`warmup_seconds`, `warmup_requests`).
  var warmUp: [String] {
    // WARM-UP CUT: shown when the runs' records carry the warm-up metrics; none is invented otherwise.
    let seconds = report.records.compactMap { r in r.metrics.first { $0.name == "warmup_seconds" }?.value }
    // Nothing cut (`warmup: none`, or MSER-5 found no transient): nothing to say.
    guard seconds.contains(where: { $0 > 0 }) else { return [] }
    let requests = report.records.compactMap { r in r.metrics.first { $0.name == "warmup_requests" }?.value }
    let scale = HumanScale.choose(unit: "s", values: seconds)
    var s =
      "**Warm-up cut**: \(scale.text(seconds.min()!))–\(scale.text(seconds.max()!)) of simulated time per run"
    if !requests.isEmpty {
      s += " (\(HumanScale.number(requests.min()!))–\(HumanScale.number(requests.max()!)) requests)"
    }
    return [s + ", excluded from every metric."]
  }

  var fewReplicatesNote: String? {
    // Runs per policy and sweep point, not the fewest values of any metric: a metric recorded only
    // in runs where it applies (the longest pause of the runs that paused) has fewer values than
    // its group has replicates, and the tables give each metric's own n.
    let n = report.groups.map(\.recordIndices.count).min() ?? 0
    guard n < ScenarioReport.fewReplicates else { return nil }
    guard n >= 2 else {
      return "**\(n) replicate per policy**: no intervals and no tests; the numbers are single runs."
    }
    let degrees = n - 1 == 1 ? "1 degree" : "\(n - 1) degrees"
    var note =
      "**Only \(n) replicates per policy** (fewer than \(ScenarioReport.fewReplicates)): 95 % intervals use "
      + "t with \(degrees) of freedom and are wide, and the exact Mann–Whitney test cannot give p below "
      + "\(HumanScale.number(ReportCells.smallestRankP(n, n))) at \(n) against \(n)."
    let fewerValues = report.groups.contains { g in g.metrics.values.contains { $0.n < g.recordIndices.count }
    }
    if fewerValues {
      note += " Metrics recorded only in the runs where they apply have fewer values still (each table's n)."
    }
    return note
  }
}

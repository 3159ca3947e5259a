// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Statistics

/// The report's agreement section (`report.equivalence`): for each listed metric, every policy
/// against the baseline at each sweep point, with the margin, the difference and its 95 % interval,
/// and whether the interval lies inside the margin (``Statistics/equivalenceTest``). A verdict needs
/// two replicates on each side; with fewer the row says so instead of guessing.
struct EquivalenceTable {
  struct Row {
    var metric: String
    var policy: String
    var sweep: String
    var margin: EquivalenceMargin
    var baselineMean: Double
    var mean: Double
    /// nil when a side has fewer than two replicates.
    var result: EquivalenceResult?
  }

  let baseline: String
  let rows: [Row]
  let sweeping: Bool

  init(_ report: ScenarioReport, baseline: String) {
    self.baseline = baseline
    sweeping = report.scenario.sweep.pointCount > 1
    var rows: [Row] = []
    for margin in report.scenario.report?.equivalence ?? [] {
      for g in report.groups where g.policy != baseline {
        guard let b = report.groups.first(where: { $0.policy == baseline && $0.sweepIndex == g.sweepIndex }),
          let xs = g.samples[margin.metric], let ys = b.samples[margin.metric], !xs.isEmpty, !ys.isEmpty
        else { continue }
        let mx = xs.reduce(0, +) / Double(xs.count)
        let my = ys.reduce(0, +) / Double(ys.count)
        rows.append(
          Row(
            metric: margin.metric, policy: g.policy, sweep: g.sweep, margin: margin, baselineMean: my,
            mean: mx,
            result: try? equivalenceTest(xs, ys, margin: margin.absolute(baselineMean: my))))
      }
    }
    self.rows = rows
  }

  var agreeing: [Row] { rows.filter { $0.result?.equivalent == true } }

  /// One finding: how many rows agree, and each one that does not with its interval and margin.
  var finding: String? {
    guard !rows.isEmpty else { return nil }
    let policies = Set(rows.map(\.policy)).sorted().map { "`\($0)`" }.joined(separator: ", ")
    var text =
      "**Agreement** of \(policies) with `\(baseline)`: \(agreeing.count) of \(rows.count) comparisons "
      + "agree within their stated margin (the 95 % interval of the difference lies inside ±margin)"
    let others = rows.filter { $0.result?.equivalent != true }
    if others.isEmpty { return text + "." }
    text += "; not shown to agree: "
    text += others.map { r in
      let scale = ReportCells.scale(r.metric, [r.baselineMean, r.mean])
      guard let e = r.result else { return "`\(r.metric)` (fewer than two replicates)" }
      return "`\(r.metric)`\(sweeping ? " at \(r.sweep)" : "") Δ \(scale.bare.text(e.difference)) "
        + "[\(scale.bare.text(e.interval.lower)), \(scale.bare.text(e.interval.upper))]"
        + (scale.showsUnit ? " \(scale.unit) " : " ")
        + "against ±\(scale.bare.text(e.margin))"
    }.joined(separator: "; ")
    return text + "."
  }

  var blocks: [ReportDocument.Block] {
    guard !rows.isEmpty else { return [] }
    // One number format per row, its unit in a column of its own, so the table fits a page; the
    // policy column only when several policies are tested.
    let policies = Set(rows.map(\.policy)).count > 1
    let header =
      ["metric"] + (policies ? ["policy"] : []) + (sweeping ? ["sweep"] : [])
      + ["unit", "margin", "baseline", "mean", "Δ", "Δ 95 % CI", "agrees"]
    let table = rows.map { r -> [String] in
      let scale = ReportCells.scale(r.metric, [r.baselineMean, r.mean])
      let n = scale.bare
      var cells = ["`\(r.metric)`"] + (policies ? [r.policy] : []) + (sweeping ? [r.sweep] : [])
      cells.append(scale.showsUnit ? scale.unit : "")
      // A margin in % shows what it came to; an absolute one is already in the metric's units.
      if case .relative = r.margin.size {
        cells.append("\(r.margin.text) (\(n.text(r.result?.margin ?? 0)))")
      } else {
        cells.append(r.margin.text)
      }
      cells += [n.text(r.baselineMean), n.text(r.mean)]
      if let e = r.result {
        cells += [
          n.text(e.difference), "[\(n.text(e.interval.lower)), \(n.text(e.interval.upper))]",
          e.equivalent ? "yes" : "**no**",
        ]
      } else {
        cells += ["-", "-", "n/a (fewer than two replicates)"]
      }
      return cells
    }
    return [
      .heading(level: 2, text: "Agreement with `\(baseline)`"),
      .paragraph(
        "An equivalence test per metric: the policy agrees with the baseline when the 95 % Welch interval of "
          + "the difference of means lies inside ±margin (Schuirmann's two one-sided tests in interval form, "
          + "at 2.5 % per side). Margins are the scenario's (`report.equivalence`); a margin in % is a "
          + "fraction of the baseline's mean, shown with what it came to. Metrics equal in every replicate compare their exact difference."
      ),
      .table(header: header, rows: table),
    ]
  }
}

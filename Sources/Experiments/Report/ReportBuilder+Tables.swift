// SPDX-License-Identifier: GPL-3.0-or-later
import Pool

extension ReportBuilder {
  /// One metric's heading, meaning and table: per policy (and sweep point) the estimate, its interval,
  /// n, and the comparison with the baseline, all in one unit chosen for the metric's values.
  func metricTable(_ metric: String, level: Int = 3) -> [ReportDocument.Block] {
    let sweeping = report.scenario.sweep.pointCount > 1
    let scale = ReportCells.scale(metric, report.groups.compactMap { $0.metrics[metric]?.mean })
    var blocks: [ReportDocument.Block] = []
    if let m = Metric.named(metric) {
      let unit = scale.unit == m.unit ? m.unit : "\(scale.unit); recorded in \(m.unit)"
      blocks.append(.heading(level: level, text: "`\(m.name)` (\(unit))"))
      blocks.append(.paragraph("\(m.summary) (\(m.direction.rawValue))"))
    } else {
      blocks.append(.heading(level: level, text: "`\(metric)`"))
    }
    var rows: [[String]] = []
    for g in report.groups {
      guard let e = g.metrics[metric] else { continue }
      var row = sweeping ? [g.policy, g.sweep] : [g.policy]
      row += [ReportCells.estimate(e, scale), ReportCells.count(e.n)]
      if let d = comparison.rows.first(where: {
        $0.metric == metric && $0.policy == g.policy && $0.sweep == g.sweep
      }) {
        row += [
          (d.difference > 0 ? "+" : "") + scale.bare.text(d.difference), PolicyComparison.percent(d.relative),
          PolicyComparison.interval(d.relativeCI, percent: true), PolicyComparison.pValue(d.welchP),
          PolicyComparison.pValue(d.mannWhitneyP), ReportCells.effect(d),
        ]
      } else {
        row +=
          g.policy == comparison.baseline
          ? ["baseline", "", "", "", "", ""] : ["-", "-", "-", "-", "-", "-"]
      }
      rows.append(row)
    }
    let header =
      (sweeping ? ["policy", "sweep"] : ["policy"])
      + ["mean ± 95 % CI", "n", "Δ", "Δ %", "Δ % 95 % CI", "p (Welch)", "p (MWU)", "d"]
    blocks.append(.table(header: header, rows: rows))
    return blocks
  }

  /// Metrics that came out the same for every policy, sweep point and replicate, in one table.
  func constantTable(_ metrics: [String]) -> [ReportDocument.Block] {
    guard !metrics.isEmpty else { return [] }
    return [
      .heading(level: 3, text: "Metrics equal for every policy"),
      .paragraph("Each of these had the same value in every run, so they cannot tell the policies apart."),
      .table(
        header: ["metric", "value (every run)", "meaning"],
        rows: metrics.map { name in
          let v = report.groups.first { $0.metrics[name] != nil }?.metrics[name]?.mean ?? 0
          return ["`\(name)`", ReportCells.scale(name, [v]).text(v), Metric.named(name)?.summary ?? ""]
        }),
    ]
  }

  /// The least-squares line of lookups on chain depth per policy, when depth varies.
  func depthFitTable() -> [ReportDocument.Block] {
    let plots = ScenarioPlots(report)
    guard plots.depthVaries else { return [] }
    return [
      .heading(level: 2, text: "Lookups against chain depth"),
      .table(
        header: [
          "policy", "lookups per level (slope)", "slope SE", "intercept", "intercept SE", "R²", "runs",
        ],
        rows: plots.depthFits.map { p, f in
          [
            p, HumanScale.number(f.slope), HumanScale.number(f.slopeStandardError),
            HumanScale.number(f.intercept),
            HumanScale.number(f.interceptStandardError), HumanScale.number(f.rSquared), "\(f.count)",
          ]
        }),
    ]
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool

/// Writes the content of `report.md` / `report.html`: what was run (scenario, digest, seeds,
/// replicates, versions), one table per metric (mean ± 95 % CI per policy, differences against the
/// baseline with p-values) and the plots. Nothing in it depends on the clock or the machine beyond
/// the gnuplot version, so the same records give the same report.
public struct ReportBuilder {
  public let plan: RunPlan
  public let report: ScenarioReport
  public let comparison: PolicyComparison
  public let gnuplot: Gnuplot

  public init(plan: RunPlan, report: ScenarioReport, gnuplot: Gnuplot) throws(CompareError) {
    self.plan = plan
    self.report = report
    self.comparison = try PolicyComparison(report)
    self.gnuplot = gnuplot
  }

  static let maximumSeedRows = 30

  /// Builds the document, rendering plots into `plotsDirectory`.
  public func document(plotsDirectory: String) -> ReportDocument {
    let s = report.scenario
    var doc = ReportDocument(title: "Scenario \(s.name)")
    if !s.description.isEmpty {
      doc.blocks.append(.paragraph(s.description.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
    let gnuplotVersion = gnuplot.version
    doc.blocks.append(.heading(level: 2, text: "What was run"))
    let durations = Set(report.runs.map(\.settings.duration)).sorted().map { ScenarioReport.format($0) }
    doc.blocks.append(
      .bullets([
        "Scenario file `\((plan.file as NSString).lastPathComponent)`, digest `\(plan.digest)` "
          + "(scenario text and options; shards of one study share it)",
        "Base seed \(s.seed); \(s.replicates) replicates; \(s.policies.count) policies "
          + "(\(s.policies.map { "`\($0.name)`" }.joined(separator: ", "))); \(s.sweep.pointCount) sweep points; "
          + "\(report.runs.count) runs",
        "Simulated duration per run: \(durations.joined(separator: ", ")) s"
          + (plan.options.quick ? " (`--quick` variant)" : ""),
        "Baseline for differences: `\(comparison.baseline)`; intervals are 95 % (Student t for means, "
          + "Welch for differences); p (MWU) is Mann–Whitney U, given for latency metrics",
        "Records format `\(RecordFiles.format)`; plots: "
          + (gnuplotVersion.map { "`\($0)`" } ?? "gnuplot not found on PATH, plots omitted"),
      ]))
    doc.blocks.append(.heading(level: 3, text: "Seeds"))
    doc.blocks.append(
      .paragraph(
        "Each run's seed derives from the scenario name, base seed, policy and replicate only; sweep points "
          + "of a replicate share it (common random numbers)."))
    var seedRows: [[String]] = []
    var seen = Set<String>()
    for run in report.runs where seen.insert("\(run.policy)/\(run.replicate)").inserted {
      seedRows.append([run.policy, "\(run.replicate)", "\(run.seed)"])
    }
    let shown = Array(seedRows.prefix(Self.maximumSeedRows))
    doc.blocks.append(.table(header: ["policy", "replicate", "seed"], rows: shown))
    if seedRows.count > shown.count {
      doc.blocks.append(.paragraph("… \(seedRows.count - shown.count) more in `runs.csv`."))
    }

    doc.blocks.append(.heading(level: 2, text: "Results"))
    doc.blocks.append(
      .paragraph(
        "Mean over replicates ± half-width of the 95 % interval. Δ is the policy minus the baseline at the "
          + "same sweep point."))
    let sweeping = s.sweep.pointCount > 1
    for metric in report.metricNames {
      if let m = Metric.named(metric) {
        doc.blocks.append(.heading(level: 3, text: "`\(m.name)` (\(m.unit))"))
        doc.blocks.append(.paragraph("\(m.summary) (\(m.direction.rawValue))"))
      } else {
        doc.blocks.append(.heading(level: 3, text: "`\(metric)`"))
      }
      var rows: [[String]] = []
      for g in report.groups {
        guard let e = g.metrics[metric] else { continue }
        let d = comparison.rows.first { $0.metric == metric && $0.policy == g.policy && $0.sweep == g.sweep }
        var row = sweeping ? [g.policy, g.sweep] : [g.policy]
        row += [
          "\(PolicyComparison.number(e.mean)) ± \(PolicyComparison.number(e.halfWidth))",
          "[\(PolicyComparison.number(e.low)), \(PolicyComparison.number(e.high))]", "\(e.n)",
        ]
        if let d {
          row += [
            PolicyComparison.number(d.difference), PolicyComparison.percent(d.relative),
            PolicyComparison.interval(d.relativeCI, percent: true), PolicyComparison.pValue(d.welchP),
            PolicyComparison.pValue(d.mannWhitneyP), PolicyComparison.number(d.cohensD),
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
        + ["mean ± 95 % CI", "95 % CI", "n", "Δ", "Δ %", "Δ % 95 % CI", "p (Welch)", "p (MWU)", "d"]
      doc.blocks.append(.table(header: header, rows: rows))
    }

    let plots = ScenarioPlots(report)
    if plots.depthVaries {
      doc.blocks.append(.heading(level: 2, text: "Lookups against chain depth"))
      let fits = plots.depthFits
      doc.blocks.append(
        .table(
          header: [
            "policy", "lookups per level (slope)", "slope SE", "intercept", "intercept SE", "R²", "runs",
          ],
          rows: fits.map { p, f in
            [
              p, PolicyComparison.number(f.slope), PolicyComparison.number(f.slopeStandardError),
              PolicyComparison.number(f.intercept), PolicyComparison.number(f.interceptStandardError),
              PolicyComparison.number(f.rSquared), "\(f.count)",
            ]
          }))
    }

    doc.blocks.append(.heading(level: 2, text: "Plots"))
    if report.groups.count > ScenarioPlots.maximumGroups {
      doc.blocks.append(
        .paragraph(
          "Plots show the first \(ScenarioPlots.maximumGroups) of \(report.groups.count) policy × sweep groups; "
            + "the tables and CSVs have all."))
    }
    if gnuplot.executable == nil {
      doc.blocks.append(
        .paragraph(
          "**gnuplot was not found on PATH, so the plots were not drawn** (install Debian's `gnuplot-nox`). "
            + "The tables above and the CSVs are complete."))
    } else {
      for plot in plots.all {
        do {
          let svg = try gnuplot.render(plot, in: plotsDirectory)
          doc.blocks.append(.plot(name: plot.name, title: plot.title, svg: svg, note: nil))
        } catch {
          doc.blocks.append(
            .plot(name: plot.name, title: plot.title, svg: nil, note: "gnuplot failed: \(error)"))
        }
      }
    }
    doc.blocks.append(.heading(level: 2, text: "Files"))
    doc.blocks.append(
      .bullets(
        [
          "`summary.json`: mean and 95 % interval per policy, sweep point and metric",
          "`runs.csv`: every metric of every run (tidy)",
          "`timeseries.csv`: sampled series of every run (tidy)",
        ] + (plan.options.samples ? ["`samples.csv`: one row per guest request"] : [])
          + [
            "`comparison.json`: every policy against the baseline (as `vhdsim compare --json`)",
            "`plots/`: each plot's data, gnuplot script and SVG",
            "`shard.json`, `scenario.yaml`, `records/`: the lossless run records (`vhdsim merge` input)",
          ]))
    return doc
  }
}

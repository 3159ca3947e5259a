// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool

/// Writes the content of `report.md` / `report.html`, answer first: the scenario's question, `##
/// Findings` (sentences generated from the numbers, ``ReportFindings``), the headline plot, the
/// headline metrics' tables; then what was run, the supporting tables and the other plots; metrics
/// that are the same for every policy and the per-level tables go to an appendix. Numbers are in
/// units chosen from their range (``HumanScale``). Nothing in it depends on the clock or the machine
/// beyond the gnuplot version, so the same records give the same report.
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

  /// The metrics the report leads with: the scenario's `report.headline`, or by default the guest's
  /// median read latency and IOPS (plain runs), depth after GC and peak space (managed SRs), or
  /// consistency (consistency checks).
  var headline: [String] {
    let s = report.scenario
    let wanted =
      s.report?.headline
      ?? (s.consistencyCheck
        ? [Metric.consistent.name, Metric.readLatencyP50.name]
        : s.managed
          ? [Metric.chainDepthAfterGC.name, Metric.spacePeak.name]
          : [Metric.readLatencyP50.name, Metric.iops.name])
    return wanted.filter { report.metricNames.contains($0) }
  }

  /// Builds the document, rendering plots into `plotsDirectory`.
  public func document(plotsDirectory: String) -> ReportDocument {
    let s = report.scenario
    var doc = ReportDocument(title: "Scenario \(s.name)")
    if !s.description.isEmpty {
      doc.blocks.append(.paragraph(s.description.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
    if let q = s.report?.question { doc.blocks.append(.paragraph("**Question:** \(q)")) }
    doc.blocks.append(.heading(level: 2, text: "Findings"))
    let agreement = EquivalenceTable(report, baseline: comparison.baseline)
    var findings = ReportFindings(report: report, comparison: comparison, headline: headline).sentences
    if let sentence = agreement.finding { findings.insert(sentence, at: 0) }
    doc.blocks.append(findings.isEmpty ? .paragraph("No headline metric was recorded.") : .bullets(findings))

    var plots = ScenarioPlots(report).ordered(first: s.report?.plots ?? [])
    var rendered: [ReportDocument.Block] = []
    if gnuplot.executable != nil {
      for plot in plots {
        do {
          let svg = try gnuplot.render(plot, in: plotsDirectory)
          rendered.append(.plot(name: plot.name, title: plot.title, svg: svg, note: nil))
        } catch {
          rendered.append(
            .plot(name: plot.name, title: plot.title, svg: nil, note: "gnuplot failed: \(error)"))
        }
      }
    } else {
      plots = []
    }
    if let first = rendered.first { doc.blocks.append(first) }

    let appendix = Set(report.metricNames.filter { isPerLevel($0) || isConstant($0) })
    doc.blocks.append(.heading(level: 2, text: "Headline metrics"))
    doc.blocks.append(.paragraph(Self.tableLegend(baseline: comparison.baseline)))
    for metric in headline { doc.blocks += metricTable(metric) }
    doc.blocks += agreement.blocks

    doc.blocks += whatWasRun()

    let supporting = report.metricNames.filter { !headline.contains($0) && !appendix.contains($0) }
    if !supporting.isEmpty {
      doc.blocks.append(.heading(level: 2, text: "Supporting results"))
      for metric in supporting { doc.blocks += metricTable(metric) }
    }
    doc.blocks += depthFitTable()

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
            + "The tables and the CSVs are complete."))
    } else {
      doc.blocks += rendered.dropFirst()
    }

    doc.blocks.append(.heading(level: 2, text: "Appendix"))
    doc.blocks += constantTable(
      report.metricNames.filter { isConstant($0) && !headline.contains($0) && !isPerLevel($0) })
    let perLevel = report.metricNames.filter(isPerLevel)
    if !perLevel.isEmpty {
      doc.blocks.append(.heading(level: 3, text: "Per-level metrics"))
      for metric in perLevel { doc.blocks += metricTable(metric, level: 4) }
    }
    doc.blocks += seedTable()
    doc.blocks += files()
    return doc
  }

  func isPerLevel(_ metric: String) -> Bool {
    Metric.bitmapLookupsPerRequestLevel.parameterValue(of: metric) != nil
  }

  /// The same value in every replicate of every policy and sweep point (a metric some runs do not
  /// have, such as latency at epoch resolution, is not "the same in every run").
  func isConstant(_ metric: String) -> Bool {
    let es = report.groups.compactMap { $0.metrics[metric] }
    guard let first = es.first, es.count == report.groups.count else { return false }
    return es.allSatisfy { ($0.constant || $0.n == 1) && $0.mean == first.mean }
  }

  static func tableLegend(baseline: String) -> String {
    "Mean over replicates ± half-width of its 95 % interval (Student t); \"exact\" where every replicate "
      + "gave the same value. Δ is the policy minus `\(baseline)` at the same sweep point, with Welch's "
      + "interval and p; p (MWU) is the exact Mann–Whitney test, for latencies; d is Cohen's d, "
      + "\"n/a (no variance)\" where the pooled standard deviation is zero or below 1e-9 of the means, "
      + "and beyond ±10 only bounded (the spread is negligible next to the difference; `comparison.json` "
      + "has the number). "
      + "n below 5 is marked \"(< 5)\"."
  }

  func whatWasRun() -> [ReportDocument.Block] {
    let s = report.scenario
    let durations = Set(report.runs.map(\.settings.duration)).sorted()
    let scale = HumanScale.choose(unit: "s", values: durations)
    var bullets = [
      "Scenario file `\((plan.file as NSString).lastPathComponent)`, digest `\(plan.digest)` "
        + "(scenario text and options; shards of one study share it)",
      "Base seed \(s.seed); \(s.replicates) replicate\(s.replicates == 1 ? "" : "s")\(s.replicates < ScenarioReport.fewReplicates ? " (< 5)" : ""); "
        + "\(s.policies.count) policies (\(s.policies.map { "`\($0.name)`" }.joined(separator: ", "))); "
        + "\(s.sweep.pointCount) sweep point\(s.sweep.pointCount == 1 ? "" : "s"); \(report.runs.count) runs",
      "Simulated duration per run: \(durations.map { scale.text($0) }.joined(separator: ", "))"
        + (plan.options.quick ? " (`--quick` variant)" : ""),
      "Baseline for differences: `\(comparison.baseline)`",
      "Records format `\(RecordFiles.format)`; plots: "
        + (gnuplot.version.map { "`\($0)`" } ?? "gnuplot not found on PATH, plots omitted"),
    ]
    // WARM-UP CUT: when runs record their warm-up (`warmup_seconds`), say how much was cut.
    let warm = report.records.compactMap { r in r.metrics.first { $0.name == "warmup_seconds" }?.value }
    if let lo = warm.min(), let hi = warm.max() {
      let w = HumanScale.choose(unit: "s", magnitude: hi)
      bullets.append(
        hi > 0
          ? "Warm-up cut from every metric: \(w.text(lo))–\(w.text(hi)) per run"
          : "No warm-up was cut (every run measured from its start)")
    }
    return [.heading(level: 2, text: "What was run"), .bullets(bullets)]
  }

  func seedTable() -> [ReportDocument.Block] {
    var blocks: [ReportDocument.Block] = [
      .heading(level: 3, text: "Seeds"),
      .paragraph(
        "Each run's seed derives from the scenario name, base seed, policy and replicate only; sweep points "
          + "of a replicate share it (common random numbers)."),
    ]
    var seedRows: [[String]] = []
    var seen = Set<String>()
    for run in report.runs where seen.insert("\(run.policy)/\(run.replicate)").inserted {
      seedRows.append([run.policy, "\(run.replicate)", "\(run.seed)"])
    }
    let shown = Array(seedRows.prefix(Self.maximumSeedRows))
    blocks.append(.table(header: ["policy", "replicate", "seed"], rows: shown))
    if seedRows.count > shown.count {
      blocks.append(.paragraph("… \(seedRows.count - shown.count) more in `runs.csv`."))
    }
    return blocks
  }

  func files() -> [ReportDocument.Block] {
    [
      .heading(level: 2, text: "Files"),
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
          ]),
    ]
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Pool
import Simulation
import StorageRepository
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The report: tables and plots with gnuplot, tables and a notice without; the CDF's buckets; plot
/// scripts; and the notebook reading the CSV columns the runner writes.
@Suite struct ReportTests {
  static func run(gnuplot: Gnuplot?) throws -> String {
    let dir = Fixture.temporaryDirectory("report")
    try ScenarioOutputs.record(try Fixture.plan(), shard: .whole, to: dir)
    try ScenarioOutputs.summarize(directory: dir, gnuplot: gnuplot)
    return dir
  }

  @Test func reportWithPlots() throws {
    let gnuplot = Gnuplot.fromPath()
    try #require(gnuplot.executable != nil || ProcessInfo.processInfo.environment["CI"] != "true")
    guard gnuplot.executable != nil else {
      print("ReportTests.reportWithPlots: skipped, gnuplot is not on PATH")
      return
    }
    let dir = try Self.run(gnuplot: gnuplot)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let md = try Fixture.read(dir, "report.md")
    #expect(md.hasPrefix("# Scenario shardy\n"))
    #expect(
      md.contains(
        "Base seed 9; 2 replicates (< 5); 2 policies (`batmap-on`, `batmap-off`); 2 sweep points; 8 runs")
    )
    #expect(md.contains("### `iops`") && md.contains("### `bitmap_lookups_per_request_level_2`"))
    #expect(md.contains("| batmap-off | chain.depth=3 |"))
    // The sweep varies depth: the fit table and its plot.
    #expect(md.contains("## Lookups against chain depth"))
    // No snapshots: the chain depth never changes over time, so its plot is left out.
    #expect(!md.contains("(plots/chain-depth.svg)"))
    for name in ["space", "lookups-per-level", "latency-cdf", "lookups-vs-depth"] {
      #expect(md.contains("![") && md.contains("(plots/\(name).svg)"), "\(name) not linked")
      let svg = try Fixture.read(dir, "plots/\(name).svg")
      #expect(svg.contains("<svg"), "\(name).svg")
      #expect(
        FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent("plots/\(name).gp")))
    }
    let html = try Fixture.read(dir, "report.html")
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(html.components(separatedBy: "<svg").count - 1 == 4)
    #expect(!html.contains("<?xml"))
    #expect(!html.contains("src=\""))  // self-contained: nothing loaded from elsewhere
    // Ids of different plots do not collide once inlined.
    #expect(
      html.contains("id=\"latency_cdf_gnuplot_canvas\"") && html.contains("id=\"space_gnuplot_canvas\""))
  }

  @Test func withoutGnuplotTheReportKeepsItsTables() throws {
    let dir = try Self.run(gnuplot: Gnuplot(executable: nil))
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let md = try Fixture.read(dir, "report.md")
    #expect(md.contains("**gnuplot was not found on PATH, so the plots were not drawn**"))
    #expect(md.contains("plots: gnuplot not found on PATH, plots omitted"))
    #expect(md.contains("### `read_latency_p99_us`"))
    #expect(!md.contains("!["))
    #expect(!(try Fixture.read(dir, "report.html")).contains("<svg"))
  }

  @Test func latencyBucketsMatchTheHistogram() {
    var h = LatencyHistogram()
    let values: [Int64] = [5, 31, 32, 33, 100, 1000, 12_345, 999_999, 5_000_000]
    for v in values { h.record(SimTime(nanoseconds: v)) }
    for (i, c) in h.counts.enumerated() where c > 0 {
      let inBucket = values.filter {
        Double($0) >= LatencyBuckets.lowerBound(i) && Double($0) < LatencyBuckets.upperBound(i)
      }
      #expect(UInt64(inBucket.count) == c, "bucket \(i)")
    }
    #expect(LatencyBuckets.lowerBound(31) == 31 && LatencyBuckets.lowerBound(32) == 32)
    #expect(LatencyBuckets.lowerBound(64) == 64 && LatencyBuckets.upperBound(64) == 66)
    let cdf = LatencyBuckets.cdf([40: 1, 3: 3])
    #expect(cdf.count == 2)
    #expect(cdf[0].microseconds == 0.004 && cdf[0].fraction == 0.75)
    #expect(cdf[1].fraction == 1)
  }

  @Test func timelineAndScript() {
    let plot = Plot.timeline(
      name: "gc", title: "GC",
      events: [
        TimelineEvent(kind: "coalesce", lane: "vdi1", start: 1, end: 2),
        TimelineEvent(kind: "pause", lane: "vdi0", start: 1.5, end: 1.75),
        TimelineEvent(kind: "coalesce", lane: "vdi0", start: 3, end: 4),
      ])
    #expect(plot.yTics.map(\.label) == ["vdi1", "vdi0"])
    #expect(plot.series.map(\.title) == ["coalesce", "pause"])
    #expect(plot.series[0].rows == [[1, 0, 2], [3, 1, 4]])
    #expect(plot.title == "GC")  // nothing shorter than 1/200 of the span: no bar widened
    let script = Gnuplot.script(plot)
    #expect(script.contains("set ytics (\"vdi1\" 0, \"vdi0\" 1)"))
    #expect(
      script.contains(
        "using 1:2:($3-$1):(0) with vectors nohead lw 8 lc rgb \"\(PlotPalette.colors[0])\" title \"coalesce\""
      ))
    #expect(Gnuplot.data(plot) == "# coalesce\n1 0 2\n3 1 4\n\n\n# pause\n1.5 1 1.75\n")
  }

  /// Error bars: rows `x y low high`, drawn by gnuplot's xerrorbars / yerrorbars in the series' colour;
  /// the SVG gnuplot writes for them is well-formed XML (reports inline it in their HTML).
  @Test func errorBarSeries() throws {
    let plot = Plot(
      name: "bars", title: "Bars", xLabel: "real", yLabel: "simulated",
      series: [
        .init("horizontal", style: .xErrorBars, rows: [[100, 120, 80, 130], [200, 190, 150, 260]]),
        .init("vertical", style: .yErrorBars, rows: [[150, 150, 140, 160]], color: 3),
      ])
    let script = Gnuplot.script(plot)
    #expect(
      script.contains(
        "index 0 using 1:2:3:4 with xerrorbars pt 7 ps 1.2 lw 1.5 "
          + "lc rgb \"\(PlotPalette.colors[0])\" title \"horizontal\""))
    #expect(script.contains("index 1 using 1:2:3:4 with yerrorbars pt 5 ps 1.2 lw 1.5 "))
    #expect(script.contains("lc rgb \"\(PlotPalette.colors[3])\" title \"vertical\""))
    #expect(
      Gnuplot.data(plot) == "# horizontal\n100 120 80 130\n200 190 150 260\n\n\n# vertical\n150 150 140 160\n"
    )
    let gnuplot = Gnuplot.fromPath()
    try #require(gnuplot.executable != nil || ProcessInfo.processInfo.environment["CI"] != "true")
    guard gnuplot.executable != nil else { return }
    let dir = Fixture.temporaryDirectory("bars")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let svg = try gnuplot.render(plot, in: dir)
    let parser = XMLParser(data: Data(svg.utf8))
    #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
  }

  /// A 60 s coalesce in a 30-day run is drawn 1/200 of the span wide (3.6 hours), in days.
  @Test func shortTimelineSpansAreWidenedToShow() {
    let plot = Plot.timeline(
      name: "gc", title: "GC",
      events: [
        TimelineEvent(kind: "coalesce", lane: "GC", start: 0, end: 60),
        TimelineEvent(kind: "coalesce", lane: "GC", start: 86_400, end: 2_592_000),
      ])
    #expect(plot.xLabel == "simulated time (days)")
    #expect(plot.title == "GC (short spans widened to 1/200 of the axis)")
    #expect(plot.series[0].rows[0] == [0, 0, 2_592_000.0 / 200 / 86_400])
    #expect(plot.series[0].rows[1] == [1, 0, 30])
  }

  @Test func notebookReadsTheColumnsWeWrite() throws {
    let url = Fixture.packageRoot.appendingPathComponent("notebooks-data/analysis.ipynb")
    let nb = try JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as! [String: Any]
    #expect(nb["nbformat"] as? Int == 4)
    let cells = nb["cells"] as! [[String: Any]]
    #expect(cells.count >= 4)
    #expect(cells.allSatisfy { ["code", "markdown"].contains($0["cell_type"] as? String ?? "") })
    func text(_ c: [String: Any]) -> String {
      (c["source"] as? [String])?.joined() ?? (c["source"] as? String ?? "")
    }
    let code = cells.filter { $0["cell_type"] as? String == "code" }.map(text).joined(separator: "\n")
    // The first cell is code naming the directory.
    #expect(cells[0]["cell_type"] as? String == "code" && text(cells[0]).contains("RUN_DIR = "))
    for file in ["runs.csv", "timeseries.csv"] { #expect(code.contains(file)) }
    let columns = Set(
      (ScenarioReport.csvHeader + "," + ScenarioReport.timeSeriesHeader).split(separator: ",").map(
        String.init))
    for column in columns.sorted() { #expect(code.contains("\"\(column)\""), "column \(column)") }
    #expect(code.contains("import pandas") && code.contains("matplotlib"))
  }
}

/// Outputs take whatever metrics runs carry, and the per-policy leaf-coalesce design when there is one.
@Suite struct OutputShapeTests {
  static func report(leafCoalesce: String?, extra: Bool) throws -> ScenarioReport {
    var s = try Scenario.parse(yaml: PolicyComparisonTests.yaml, file: "known.yaml")
    s.policies[1].leafCoalesce = try leafCoalesce.map { try LeafCoalesceDesign(name: $0) }
    let runs = s.runs()
    let records = runs.enumerated().map { i, run in
      RunRecord(
        index: i, seed: run.seed,
        metrics: [.init("iops", Double(i))] + (extra ? [.init("gc_bytes_copied", Double(10 * i))] : []))
    }
    return ScenarioReport(scenario: s, runs: runs, records: records)
  }

  @Test func newMetricsFlowThrough() throws {
    let r = try Self.report(leafCoalesce: nil, extra: true)
    #expect(r.metricNames == ["iops", "gc_bytes_copied"])
    #expect(r.runsCSV.contains("known,b,-,2,\(r.runs[5].seed),gc_bytes_copied,50\n"))
    let json = try JSONSerialization.jsonObject(with: Data(r.summaryJSON.utf8)) as! [String: Any]
    let metrics = (json["policies"] as! [[String: Any]]).map { $0["metrics"] as! [String: [String: Any]] }
    #expect(
      metrics.allSatisfy { $0["gc_bytes_copied"]?.keys.sorted() == ["ci_high", "ci_low", "mean", "n"] })
    #expect(try PolicyComparison(r).rows.filter { $0.metric == "gc_bytes_copied" }.count == 2)
  }

  @Test func runMetricsListAddedNamesAfterTheFixedOnes() throws {
    var m = RunMetrics(
      try Scenario.parse(yaml: PolicyComparisonTests.yaml, file: "known.yaml").runs()[0], RunResult())
    m.values["zz_new"] = 1
    m.values["aa_new"] = 2
    #expect(Array(m.names.suffix(3)) == ["bitmap_lookups_per_request_level_0", "aa_new", "zz_new"])
  }

  @Test func leafCoalesceOnlyWhereAPolicyHasOne() throws {
    let with = try Self.report(leafCoalesce: "live-only", extra: false).summaryJSON
    #expect(with.components(separatedBy: "\"leaf_coalesce\"").count - 1 == 1)
    #expect(with.contains("      \"leaf_coalesce\" : \"live-only\",\n      \"metrics\" : {"))
    let json = try JSONSerialization.jsonObject(with: Data(with.utf8)) as! [String: Any]
    let policies = json["policies"] as! [[String: Any]]
    #expect(policies.map { $0["leaf_coalesce"] as? String } == [nil, "live-only", nil])
    #expect(!(try Self.report(leafCoalesce: nil, extra: false).summaryJSON.contains("leaf_coalesce")))
  }
}

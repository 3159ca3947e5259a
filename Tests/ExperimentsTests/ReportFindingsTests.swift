// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Pool
import Testing

/// Reports that answer the scenario's question: the `report` section decoded strictly, findings
/// generated from the numbers (exact values grouped, differences with intervals and p, "not
/// significant", why a design stayed deeper, few replicates, warm-up), the layout (findings before any
/// table, constant and per-level metrics in the appendix), human units and the plots' rules.
@Suite struct ReportFindingsTests {
  static let yaml = """
    name: designs
    replicates: 3
    duration: 10
    chain: {depth: 1}
    vms:
      - workload: {pattern: random}
    gc: {quiet_period: 0}
    policies:
      - name: none
        gc: {leaf_coalesce: none}
      - name: live
        gc: {leaf_coalesce: live-only}
      - name: mirror
        gc: {leaf_coalesce: mirror}
    report:
      question: Which design reaches which depth?
      headline: [chain_depth_after_gc, read_latency_p50_us, gc_busy_s]
      baseline: none
      plots: [chain-depth]
    """

  /// Per policy and replicate: none and live stay at 2 levels (live refused once), mirror reaches 1;
  /// latency equal for none and live, doubled for mirror; GC busy 50 hours for all; `gc_kicks` 5 everywhere.
  static func markdown(extra: [String: [Double]] = [:], partial: [String: [Double?]] = [:]) throws -> String {
    let plan = try RunPlan(source: yaml, file: "designs.yaml", options: .init(jobs: 1))
    let s = plan.scenario
    let runs = s.runs()
    let values: [String: [String: Double]] = [
      "none": ["chain_depth_after_gc": 2, "leaf_attempts": 0, "leaf_not_allowed": 0, "gc_leaf_coalesces": 0],
      "live": ["chain_depth_after_gc": 2, "leaf_attempts": 1, "leaf_not_allowed": 1, "gc_leaf_coalesces": 0],
      "mirror": [
        "chain_depth_after_gc": 1, "leaf_attempts": 1, "leaf_not_allowed": 0, "gc_leaf_coalesces": 1,
        "leaf_pause_s_max": 0.0015,
      ],
    ]
    let records = runs.enumerated().map { i, run in
      var metrics = values[run.policy]!.sorted { $0.key < $1.key }.map { RunRecord.Metric($0.key, $0.value) }
      let latency = (run.policy == "mirror" ? 200.0 : 100.0) + Double(run.replicate)
      metrics += [.init("read_latency_p50_us", latency), .init("gc_busy_s", 180_000), .init("gc_kicks", 5)]
      metrics += [.init("bitmap_lookups_per_request_level_0", 0.5 + Double(run.replicate))]
      metrics += extra.map { .init($0.key, $0.value[run.replicate]) }
      metrics += partial.compactMap { name, values in values[run.replicate].map { .init(name, $0) } }
      return RunRecord(index: i, seed: run.seed, metrics: metrics)
    }
    let report = ScenarioReport(scenario: s, runs: runs, records: records)
    return try ReportBuilder(plan: plan, report: report, gnuplot: Gnuplot(executable: nil))
      .document(plotsDirectory: "/nonexistent").markdown
  }

  @Test func findingsComeFirstAndAnswerTheQuestion() throws {
    let md = try Self.markdown()
    let findings = try #require(md.range(of: "## Findings\n"))
    let firstTable = try #require(md.range(of: "\n| "))
    #expect(findings.lowerBound < firstTable.lowerBound)
    #expect(md.contains("**Question:** Which design reaches which depth?\n"))
    #expect(
      md.contains(
        "- **Deepest chain of any VDI at the end of the run** (`chain_depth_after_gc`): 1 level for `mirror`; "
          + "2 levels for `none`, `live` (exact: the same in every replicate).\n"))
    #expect(
      md.contains(
        "- **Median response time of guest reads** (`read_latency_p50_us`), `live` against `none`: 101 µs "
          + "[98.52, 103.5] against 101 µs [98.52, 103.5], 0 µs (+0.0%, 95 % CI [-2.2%, +2.2%]), "
          + "not significant (p = 1, Welch).\n"))
    #expect(
      md.contains(
        "`mirror` against `none`: 201 µs [198.5, 203.5] against 101 µs [98.52, 103.5], +100 µs (+99.0%"))
    #expect(md.contains("+100 µs (+99.0%, 95 % CI [+95.5%, +102.5%]), p < 0.0001 (Welch).\n"))
    #expect(
      md.contains(
        "- **Why `live` stays at 2 levels**: 1 leaf-coalesce attempts per run, 0 completed; 1 refused as too "
          + "slow to copy paused (`leaf_not_allowed`).\n"))
    #expect(
      md.contains(
        "- **Why `none` stays at 2 levels**: 0 leaf-coalesce attempts per run, 0 completed (this design never "
          + "merges the leaf into its parent).\n"))
    #expect(
      md.contains(
        "- `mirror` reaches 1 level: 1 leaf coalesce completed per run, longest leaf pause 1.5 ms.\n"))
    #expect(md.contains("**Only 3 replicates per policy** (fewer than 5)"))
    #expect(md.contains("cannot give p below 0.1 at 3 against 3."))
    // GC busy 180,000 s for every run: days (2 or more), exact.
    #expect(
      md.contains(
        "(`gc_busy_s`): 2.083 days for `none`, `live`, `mirror` (exact: the same in every replicate)."))
    // No warm-up metric in these records: no warm-up sentence (nothing invented).
    #expect(!md.contains("Warm-up"))
  }

  @Test func tablesMarkExactValuesFewReplicatesAndDegenerateEffects() throws {
    let md = try Self.markdown()
    #expect(md.contains("### `gc_busy_s` (days; recorded in s)"))
    #expect(md.contains("| none | exact: 2 (all 3 replicates) | 3 (< 5) | baseline |"))
    #expect(
      md.contains(
        "| mirror | exact: 1 (all 3 replicates) | 3 (< 5) | -1 | -50.0% | - | - | - | n/a (no variance) |"))
    #expect(md.contains("| mirror | 201 ± 2.484 | 3 (< 5) | +100 | +99.0% |"))
    #expect(!md.contains("± 0 |"))
    // Headline, then what was run, supporting results, appendix (constant and per-level metrics).
    let order = [
      "## Headline metrics", "## What was run", "## Supporting results", "## Appendix",
      "### Metrics equal for every policy", "### Per-level metrics", "### Seeds",
    ]
    let positions = order.map { md.range(of: $0)?.lowerBound }
    #expect(positions.allSatisfy { $0 != nil }, "\(order)")
    #expect(zip(positions, positions.dropFirst()).allSatisfy { $0! < $1! })
    let appendix = md.range(of: "## Appendix")!.lowerBound
    #expect(md.range(of: "| `gc_kicks` | 5 | ")!.lowerBound > appendix)
    #expect(md.range(of: "#### `bitmap_lookups_per_request_level_0`")!.lowerBound > appendix)
    #expect(md.components(separatedBy: "### `gc_kicks`").count == 1)  // no table of its own
    // A metric only some policies have (mirror's leaf pause; latency at epoch resolution) is not
    // "equal for every policy", even when it is constant where it exists.
    #expect(!md.contains("| `leaf_pause_s_max` |"))
    #expect(md.contains("### `leaf_pause_s_max`"))
  }

  @Test func fewReplicatesCountsRunsNotTheSparsestMetric() throws {
    // `pause_s_total` missing from every second replicate: 2 values, but 3 replicates per policy.
    let md = try Self.markdown(partial: ["pause_s_total": [1, nil, 2]])
    #expect(
      md.contains("**Only 3 replicates per policy** (fewer than 5): 95 % intervals use t with 2 degrees of"))
    #expect(
      md.contains(
        "cannot give p below 0.1 at 3 against 3. Metrics recorded only in the runs where they apply"))
    #expect(!md.contains("Only 2 replicates"))
    // Every metric in every run: no such sentence.
    #expect(!(try Self.markdown()).contains("Metrics recorded only in the runs"))
  }

  @Test func warmUpCutIsShownWhenRecorded() throws {
    let md = try Self.markdown(extra: [
      "warmup_seconds": [0.5, 0.25, 0.5], "warmup_requests": [900, 400, 1000],
    ])
    #expect(
      md.contains(
        "- **Warm-up cut**: 250 ms–500 ms of simulated time per run (400–1000 requests), excluded from every metric.\n"
      ))
    #expect(md.contains("- Warm-up cut from every metric: 250 ms–500 ms per run\n"))
    // Nothing cut (warmup: none): no finding, and "What was run" says so.
    let none = try Self.markdown(extra: ["warmup_seconds": [0, 0, 0], "warmup_requests": [0, 0, 0]])
    #expect(!none.contains("**Warm-up cut**"))
    #expect(none.contains("- No warm-up was cut (every run measured from its start)\n"))
  }

  @Test func effectSizesBeyondTenAreBoundedAndDegenerateOnesNamed() throws {
    let s = try Scenario.parse(yaml: PolicyComparisonTests.yaml, file: "known.yaml")
    let runs = s.runs()
    // iops: b's spread is tiny next to its difference from a (d = 1e6); c and a exact (d undefined).
    let values: [String: [Double]] = [
      "a": [1000, 1000, 1000], "b": [2000, 2000.001, 2000.002], "c": [1001, 1001, 1001],
    ]
    let records = runs.enumerated().map { i, run in
      RunRecord(index: i, seed: run.seed, metrics: [.init("iops", values[run.policy]![run.replicate])])
    }
    let c = try PolicyComparison(ScenarioReport(scenario: s, runs: runs, records: records))
    #expect(c.rows.map(\.policy) == ["b", "c"])
    #expect(try #require(c.rows[0].cohensD) > 1e5)
    #expect(c.cells(c.rows[0]).last == "> 10")
    #expect(c.rows[1].cohensD == nil && c.cells(c.rows[1]).last == "n/a (no variance)")
    #expect(c.json.contains("\"cohens_d\" : null"))
  }
}

@Suite struct ReportSectionTests {
  static let base = """
    name: s
    chain: {depth: 1}
    vms:
      - workload: {pattern: random}
    policies:
      - name: a
      - name: b

    """

  func error(_ section: String) -> ScenarioError? {
    do {
      _ = try Scenario.parse(yaml: Self.base + section, file: "s.yaml")
      return nil
    } catch { return error }
  }

  @Test func decodesTheSection() throws {
    let s = try Scenario.parse(
      yaml: Self.base + """
        report:
          question: >
            Does b beat a?
          headline: [iops, read_latency_p50_us]
          baseline: b
          plots: [latency-cdf, timeline]
        """, file: "s.yaml")
    #expect(
      s.report
        == ReportSpec(
          question: "Does b beat a?", headline: ["iops", "read_latency_p50_us"], baseline: "b",
          plots: ["latency-cdf", "timeline"]))
    #expect(try PolicyComparison(ScenarioReport(scenario: s, runs: [], records: [])).baseline == "b")
    #expect(try Scenario.parse(yaml: Self.base, file: "s.yaml").report == nil)
  }

  @Test func badSectionsAreErrorsAtTheirLine() {
    #expect(
      error("report:\n  question: q\n  headline: [iops]\n  colour: red\n")
        == ScenarioError(
          file: "s.yaml", line: 11, column: 3,
          message:
            "unknown key \"colour\" in report; expected one of: question, headline, baseline, plots, equivalence"
        ))
    #expect(
      error("report:\n  question: q\n  headline: [iops, lantecy]\n")
        == ScenarioError(
          file: "s.yaml", line: 10, column: 20,
          message: "report.headline[1]: no metric \"lantecy\" (see `vhdsim metrics` for the names)"))
    #expect(
      error("report:\n  question: q\n  headline: [gc_busy_s]\n")
        == ScenarioError(
          file: "s.yaml", line: 10, column: 14,
          message:
            "report.headline[0]: gc_busy_s is a managed-sr runs (garbage collector) metric, which this scenario does not produce"
        ))
    #expect(
      error("report:\n  question: q\n  headline: [iops]\n  baseline: c\n")
        == ScenarioError(
          file: "s.yaml", line: 11, column: 13,
          message: "report.baseline: no policy \"c\"; the scenario's policies are a, b"))
    #expect(
      error("report:\n  question: q\n  headline: [iops]\n  plots: [pie]\n")?.message.hasPrefix(
        "report.plots[0]: expected one of chain-depth, space, lookups-per-level, latency-cdf, lookups-vs-depth, timeline"
      ) == true)
    #expect(
      error("report:\n  question: q\n  headline: []\n")?.message
        == "report.headline: expected at least one metric, found an empty list")
    #expect(error("report:\n  headline: [iops]\n")?.message == "missing key \"question\" in report")
    #expect(
      error("report:\n  question: q\n  headline: [iops, iops]\n")?.message
        == "report.headline[1]: iops is listed twice")
  }

  @Test func shippedScenariosAskTheirQuestion() throws {
    for name in [
      "quickstart", "backup-fleet", "seed-delete-all", "leaf-coalesce-designs", "seed-chain-depth",
      "yum-during-snapshot",
    ] {
      let path = Fixture.packageRoot.appendingPathComponent("Scenarios/\(name).yaml").path
      let spec = try #require(try Scenario.load(path: path).report, "\(name) has no report section")
      #expect(spec.question.hasSuffix("?"), "\(name)")
      #expect(!spec.headline.isEmpty && !spec.plots.isEmpty, "\(name)")
    }
    let fleet = try Scenario.load(
      path: Fixture.packageRoot.appendingPathComponent("Scenarios/backup-fleet.yaml").path)
    #expect(fleet.report?.headline.first == "space_peak_bytes")
    #expect(fleet.report?.headline.allSatisfy { !$0.contains("latency") } == true)
  }
}

@Suite struct HumanScaleTests {
  @Test func unitsFollowTheRange() {
    #expect(HumanScale.choose(unit: "s", magnitude: 2_592_000).text(2_592_000) == "30 days")
    #expect(HumanScale.choose(unit: "s", magnitude: 86_400).text(86_400) == "24 hours")
    #expect(HumanScale.choose(unit: "s", magnitude: 172_800).text(86_400) == "1 day")
    #expect(HumanScale.choose(unit: "s", magnitude: 90).text(90) == "90 s")
    #expect(HumanScale.choose(unit: "s", magnitude: 7200).text(7200) == "2 hours")
    #expect(HumanScale.choose(unit: "s", magnitude: 0.034).text(0.034) == "34 ms")
    #expect(HumanScale.choose(unit: "µs", magnitude: 161.8).text(161.8) == "161.8 µs")
    #expect(HumanScale.choose(unit: "µs", magnitude: 2195).text(2195) == "2.195 ms")
    #expect(HumanScale.choose(unit: "ms", magnitude: 0.5).text(0.5) == "500 µs")
    #expect(HumanScale.choose(unit: "bytes", magnitude: 1.093e12).text(1.093e12) == "1018 GiB")
    #expect(HumanScale.choose(unit: "bytes", magnitude: 1.2e13).unit == "TiB")
    #expect(HumanScale.choose(unit: "bytes", magnitude: 1_048_576 * 3).text(1_048_576 * 3) == "3 MiB")
    #expect(HumanScale.choose(unit: "bytes/s", magnitude: 5e7).unit == "MiB/s")
    #expect(HumanScale.choose(unit: "count", magnitude: 12).text(12) == "12")
    #expect(HumanScale.choose(unit: "s", values: [1, 200_000, .nan]).unit == "days")
  }

  @Test func numbersHaveNoExponents() {
    #expect(HumanScale.number(37_674.4) == "37,674")
    #expect(HumanScale.number(-1_093_000_000_000) == "-1,093,000,000,000")
    #expect(HumanScale.number(2.5e6) == "2,500,000")
    #expect(HumanScale.number(0.001234) == "0.001234")
    #expect(HumanScale.number(161.8) == "161.8")
    #expect(HumanScale.number(1.0) == "1" && HumanScale.number(0) == "0")
    #expect(HumanScale.number(.nan) == "nan")
  }
}

@Suite struct ReportPlotTests {
  static let yaml = """
    name: depths
    replicates: 2
    chain: {depth: 1}
    vms:
      - workload: {pattern: random}
    policies:
      - name: on
      - name: off
    sweep:
      chain.depth: [1, 8]
    """

  /// Lookups grow with depth; `off` has every request's latency at 100 µs or 10 ms, with 10 of 100 at 0.
  static func plots() throws -> ScenarioPlots {
    let s = try Scenario.parse(yaml: yaml, file: "depths.yaml")
    let runs = s.runs()
    let records = runs.enumerated().map { i, run in
      let depth = Double(run.settings.depth)
      return RunRecord(
        index: i, seed: run.seed,
        metrics: [
          .init("chain_depth", depth),
          .init("bitmap_lookups_per_request_level_0", depth * (run.policy == "on" ? 0.1 : 0.2)),
        ],
        series: [
          .init("chain_depth", time: 0, value: depth), .init("chain_depth", time: 200_000, value: 1),
        ],
        latency: [
          .init("all", bucket: 0, count: 10), .init("all", bucket: 400, count: 80),
          .init("all", bucket: 700, count: 10),
        ])
    }
    return ScenarioPlots(ScenarioReport(scenario: s, runs: runs, records: records))
  }

  @Test func fitLinesShareTheirPolicysColour() throws {
    let plot = try Self.plots().lookupsAgainstDepthPlot
    #expect(plot.series.map(\.color) == [0, 0, 1, 1])
    let script = Gnuplot.script(plot)
    #expect(script.components(separatedBy: "lc rgb \"\(PlotPalette.colors[0])\"").count - 1 == 2)
    #expect(script.components(separatedBy: "lc rgb \"\(PlotPalette.colors[1])\"").count - 1 == 2)
  }

  @Test func linesDifferInDashAndWidthAndPolicyKeepsItsColour() throws {
    let plot = try Self.plots().chainDepthOverTime
    #expect(plot.series.map(\.color) == [0, 0, 1, 1])
    // 200,000 s of simulated time: days on the axis.
    #expect(plot.xLabel == "simulated time (days)")
    #expect(abs(plot.series[0].rows[1][0] - 200_000.0 / 86_400) < 1e-12)
    let lines = Gnuplot.script(plot).split(separator: "\n").filter { $0.contains("with steps") }
    #expect(lines.count == 4)
    let widths = lines.map { line in
      line.range(of: #"lw [0-9.]+"#, options: .regularExpression).map { Double(line[$0].dropFirst(3))! } ?? 0
    }
    #expect(widths == [4, 3.17, 2.33, 1.5])
    let dashes = lines.map { line in
      line.range(of: #"dt \d"#, options: .regularExpression).map { String(line[$0]) } ?? ""
    }
    #expect(Set(dashes).count == 4)
  }

  @Test func cdfStartsAtTheDataAndNamesZeroLatencies() throws {
    let plot = try Self.plots().latencyCDF
    let lo = LatencyBuckets.upperBound(400) / 1000
    let hi = LatencyBuckets.upperBound(700) / 1000
    #expect(hi / lo >= 100 && plot.logX)
    let scale = HumanScale.choose(unit: "µs", magnitude: hi)
    #expect(plot.xLabel == "response time (\(scale.unit))")
    #expect(plot.xMin == lo / scale.divisor)
    #expect(plot.title.hasSuffix("; up to 10 % took no time"))
    #expect(plot.series.allSatisfy { $0.rows.first?[1] == 0.9 && $0.rows.count == 2 })
    #expect(Gnuplot.script(plot).contains("set xrange [\(ScenarioReport.format(lo / scale.divisor)):*]"))
  }

  @Test func onePointPlotsAreLeftOut() throws {
    let plots = try Self.plots()
    // One chain level: each group's lookups-per-level line would be a single point.
    #expect(!plots.lookupsPerLevel.isWorthDrawing)
    #expect(!plots.all.contains { $0.name == "lookups-per-level" })
    #expect(plots.all.contains { $0.name == "chain-depth" })
    // A quantity that never changes over time is not drawn: the tables say its value.
    let level = Plot(
      name: "flat", title: "", xLabel: "", yLabel: "",
      series: [
        .init("a", style: .steps, rows: [[0, 2], [1, 2]]),
        .init("b", style: .steps, rows: [[0, 1], [1, 1]]),
      ])
    #expect(level.isFlat && level.isWorthDrawing && !plots.chainDepthOverTime.isFlat)
    #expect(plots.ordered(first: ["latency-cdf"]).first?.name == "latency-cdf")
    let segment = Plot.timeline(
      name: "t", title: "t", events: [TimelineEvent(kind: "k", lane: "l", start: 1, end: 2)])
    #expect(segment.isWorthDrawing)
  }
}

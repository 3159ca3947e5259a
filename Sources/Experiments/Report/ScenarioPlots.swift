// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Statistics

/// The report's plots, as data: chain depth and space over time, bitmap lookups per chain level, the
/// latency CDF, lookups against depth with a fitted line, and timelines of background work. One line
/// per (policy, sweep point) group, at most ``maximumGroups`` of them.
public struct ScenarioPlots: Sendable {
  public let report: ScenarioReport
  public static let maximumGroups = 12

  public init(_ report: ScenarioReport) { self.report = report }

  /// The groups drawn (the first ``maximumGroups``).
  public var drawnGroups: [ScenarioReport.Group] { Array(report.groups.prefix(Self.maximumGroups)) }

  /// The group's name in legends: the policy, with its sweep point when the scenario sweeps.
  public func label(_ g: ScenarioReport.Group) -> String {
    report.scenario.sweep.pointCount > 1 ? "\(g.policy) \(g.sweep)" : g.policy
  }

  /// `series` averaged over a group's replicates at each sample (runs of a group share sample times).
  public func meanSeries(_ g: ScenarioReport.Group, _ series: String, scale: Double = 1) -> [[Double]] {
    var sums: [Double] = []
    var times: [Double] = []
    var counts: [Int] = []
    for k in g.recordIndices {
      var i = 0
      for p in report.records[k].series where p.series == series {
        if i == sums.count {
          sums.append(0)
          times.append(p.time)
          counts.append(0)
        }
        sums[i] += p.value
        counts[i] += 1
        i += 1
      }
    }
    return sums.indices.map { [times[$0], sums[$0] / Double(counts[$0]) * scale] }
  }

  /// The time axis of series over time: seconds, minutes, hours or days by the longest sampled run.
  var timeScale: HumanScale {
    HumanScale.choose(
      unit: "s",
      values: drawnGroups.flatMap { g in g.recordIndices.compactMap { report.records[$0].series.last?.time } }
    )
  }

  /// `series` of every drawn group over time, x and y in the scales given.
  func overTime(_ series: String, style: Plot.Style, x: HumanScale, y: HumanScale) -> [Plot.Series] {
    drawnGroups.map { g in
      .init(
        label(g), style: style,
        rows: meanSeries(g, series).map { [$0[0] / x.divisor, $0[1] / y.divisor] }, color: g.policyIndex)
    }
  }

  public var chainDepthOverTime: Plot {
    let x = timeScale
    return Plot(
      name: "chain-depth", title: "Chain depth over time (mean over replicates)",
      xLabel: "simulated time (\(x.unit))", yLabel: "deepest chain (levels)",
      series: overTime("chain_depth", style: .steps, x: x, y: HumanScale(unit: "levels", divisor: 1)))
  }

  public var spaceOverTime: Plot {
    let x = timeScale
    let values = drawnGroups.flatMap { meanSeries($0, "allocated_bytes").map { $0[1] } }
    let y = HumanScale.choose(unit: "bytes", values: values)
    return Plot(
      name: "space", title: "Space allocated on the SR over time (mean over replicates)",
      xLabel: "simulated time (\(x.unit))", yLabel: "allocated (\(y.unit))",
      series: overTime("allocated_bytes", style: .lines, x: x, y: y))
  }

  public var lookupsPerLevel: Plot {
    Plot(
      name: "lookups-per-level", title: "Bitmap lookups per request at each chain level (0 = leaf)",
      xLabel: "chain level", yLabel: "bitmap lookups per request",
      series: drawnGroups.map { g in
        let rows = g.names.compactMap { name -> [Double]? in
          guard let level = Metric.bitmapLookupsPerRequestLevel.parameterValue(of: name),
            let e = g.metrics[name]
          else { return nil }
          return [Double(level), e.mean]
        }
        return .init(label(g), style: .linesPoints, rows: rows, color: g.policyIndex)
      })
  }

  /// Bucket counts of one histogram summed over a group's runs.
  public func latencyCounts(_ g: ScenarioReport.Group, histogram: String = "all") -> [Int: UInt64] {
    var counts: [Int: UInt64] = [:]
    for k in g.recordIndices {
      for b in report.records[k].latency where b.histogram == histogram {
        counts[b.bucket, default: 0] += b.count
      }
    }
    return counts
  }

  /// The CDF of every drawn group, on a log axis when the latencies span two decades or more. The
  /// axis starts at the smallest non-zero latency; requests that took no time at all (reads of
  /// unwritten blocks served without a device I/O) lift the curve's start and are named in the title.
  public var latencyCDF: Plot {
    let cdfs = drawnGroups.map { g in LatencyBuckets.cdf(latencyCounts(g)) }
    let zeroBound = LatencyBuckets.upperBound(0) / 1000
    let positive = cdfs.flatMap { $0.map(\.microseconds).filter { $0 > zeroBound } }
    let lo = positive.min() ?? 1
    let hi = positive.max() ?? 1
    let x = HumanScale.choose(unit: "µs", magnitude: hi)
    let zeroShare = cdfs.map { $0.first { $0.microseconds <= zeroBound }?.fraction ?? 0 }.max() ?? 0
    let title =
      "Response time CDF (all requests of all replicates)"
      + (zeroShare > 0 ? "; up to \(HumanScale.number(zeroShare * 100)) % took no time" : "")
    return Plot(
      name: "latency-cdf", title: title, xLabel: "response time (\(x.unit))",
      yLabel: "fraction of requests ≤ x", logX: hi / lo >= 100,
      series: zip(drawnGroups, cdfs).map { g, cdf in
        .init(
          label(g), style: .steps,
          rows: cdf.filter { $0.microseconds > zeroBound }.map {
            [$0.microseconds / x.divisor, $0.fraction]
          },
          color: g.policyIndex)
      }, xMin: lo / x.divisor)
  }

  /// Per run: (chain depth, bitmap lookups per request summed over levels).
  public func lookupsAgainstDepth(policy: String) -> [(depth: Double, lookups: Double)] {
    zip(report.runs, report.records).compactMap { run, record in
      guard run.policy == policy, let depth = record.metric(.chainDepth) else { return nil }
      let lookups = record.metrics.filter {
        Metric.bitmapLookupsPerRequestLevel.parameterValue(of: $0.name) != nil
      }
      .reduce(0) { $0 + $1.value }
      return (depth, lookups)
    }
  }

  /// Whether runs differ in chain depth (a sweep or policies over `chain.depth`).
  public var depthVaries: Bool {
    Set(report.records.compactMap { $0.metric(.chainDepth) }).count >= 2
  }

  /// Per policy with at least two depths: the least-squares line of lookups on depth.
  public var depthFits: [(policy: String, fit: LinearFit)] {
    report.scenario.policies.compactMap { p in
      let pts = lookupsAgainstDepth(policy: p.name)
      guard Set(pts.map(\.depth)).count >= 2,
        let fit = try? LinearFit(x: pts.map(\.depth), y: pts.map(\.lookups))
      else { return nil }
      return (p.name, fit)
    }
  }

  public var lookupsAgainstDepthPlot: Plot {
    var series: [Plot.Series] = []
    let fits = depthFits
    for (i, p) in report.scenario.policies.prefix(Self.maximumGroups).enumerated() {
      let pts = lookupsAgainstDepth(policy: p.name)
      series.append(.init(p.name, style: .points, rows: pts.map { [$0.depth, $0.lookups] }, color: i))
      if let fit = fits.first(where: { $0.policy == p.name })?.fit, let lo = pts.map(\.depth).min(),
        let hi = pts.map(\.depth).max()
      {
        series.append(
          .init(
            "\(p.name) fit: \(PolicyComparison.number(fit.slope)) per level", style: .lines,
            rows: [[lo, fit.predict(lo).value], [hi, fit.predict(hi).value]], color: i))
      }
    }
    return Plot(
      name: "lookups-vs-depth",
      title: "Bitmap lookups per request against chain depth, with least-squares fit",
      xLabel: "chain depth (levels)", yLabel: "bitmap lookups per request", series: series)
  }

  /// One timeline per drawn group with events, from its first replicate.
  public var timelines: [Plot] {
    drawnGroups.enumerated().compactMap { i, g in
      guard let k = g.recordIndices.first, !report.records[k].events.isEmpty else { return nil }
      return Plot.timeline(
        name: "timeline-\(i)", title: "Background work, \(label(g)), replicate 0",
        events: report.records[k].events)
    }
  }

  /// Every plot worth drawing (more than one point; a quantity over time only when it changes), in
  /// report order.
  public var all: [Plot] {
    var plots = [chainDepthOverTime, spaceOverTime].filter { !$0.isFlat } + [lookupsPerLevel, latencyCDF]
    if depthVaries { plots.append(lookupsAgainstDepthPlot) }
    plots += timelines
    return plots.filter(\.isWorthDrawing)
  }

  /// ``all`` with the plots `names` asks for first, in its order (``ReportSpec/plotNames``; `timeline`
  /// stands for every timeline).
  public func ordered(first names: [String]) -> [Plot] {
    let plots = all
    func matches(_ p: Plot, _ name: String) -> Bool {
      name == "timeline" ? p.name.hasPrefix("timeline-") : p.name == name
    }
    let chosen = names.flatMap { n in plots.filter { matches($0, n) } }
    return chosen + plots.filter { p in !chosen.contains { $0.name == p.name } }
  }
}

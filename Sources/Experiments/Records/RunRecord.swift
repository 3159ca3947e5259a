// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation

/// Everything the outputs of a scenario need from one run, as plain numbers: the metrics (a name →
/// value list, so metrics a later layer adds flow through unlisted), the sampled time series, the
/// latency histograms' buckets (for CDFs), timeline events and, when asked, per-request samples.
///
/// Records are what shards write and `merge` reads; every output (summary, CSVs, report) is computed
/// from records alone, so a merged set of shards and an unsharded run give the same files.
public struct RunRecord: Sendable, Equatable {
  /// The run's position in scenario order (``ScenarioRunner/runs``).
  public var index: Int
  /// The run's seed, kept to check a merge against the scenario it claims.
  public var seed: UInt64
  /// In report order.
  public var metrics: [Metric]
  /// Series after series, each in time order.
  public var series: [SeriesPoint]
  /// Non-empty buckets of the `all`, `read` and `write` latency histograms.
  public var latency: [LatencyBucket]
  /// Spans on a timeline (for example GC work); none yet from the pool.
  public var events: [TimelineEvent]
  /// `TraceRecord.csvLine` per guest request, when samples were asked for.
  public var samples: [String]

  public struct Metric: Sendable, Equatable {
    public var name: String
    public var value: Double
    public init(_ name: String, _ value: Double) {
      self.name = name
      self.value = value
    }
  }

  public struct SeriesPoint: Sendable, Equatable {
    public var series: String
    public var time: Double
    public var value: Double
    public init(_ series: String, time: Double, value: Double) {
      self.series = series
      self.time = time
      self.value = value
    }
  }

  public struct LatencyBucket: Sendable, Equatable {
    /// `all`, `read` or `write`.
    public var histogram: String
    /// `LatencyHistogram` bucket index (``LatencyBuckets``).
    public var bucket: Int
    public var count: UInt64
    public init(_ histogram: String, bucket: Int, count: UInt64) {
      self.histogram = histogram
      self.bucket = bucket
      self.count = count
    }
  }

  public init(
    index: Int, seed: UInt64, metrics: [Metric], series: [SeriesPoint] = [], latency: [LatencyBucket] = [],
    events: [TimelineEvent] = [], samples: [String] = []
  ) {
    self.index = index
    self.seed = seed
    self.metrics = metrics
    self.series = series
    self.latency = latency
    self.events = events
    self.samples = samples
  }

  /// The series names a pool run records: deepest chain, SR bytes allocated, requests completed.
  public static let poolSeries = ["chain_depth", "allocated_bytes", "completed_requests"]

  /// The record of run `index` from what the pool returned.
  public init(index: Int, run: ScenarioRun, metrics: RunMetrics, result r: RunResult) {
    self.index = index
    seed = run.seed
    self.metrics = metrics.names.map { Metric($0, metrics.values[$0] ?? 0) }
    var series: [SeriesPoint] = []
    series.reserveCapacity(3 * r.timeSeries.count)
    for s in r.timeSeries {
      series.append(.init("chain_depth", time: s.time.seconds, value: Double(s.chainDepth)))
    }
    for s in r.timeSeries {
      series.append(.init("allocated_bytes", time: s.time.seconds, value: Double(s.allocatedBytes)))
    }
    for s in r.timeSeries {
      series.append(.init("completed_requests", time: s.time.seconds, value: Double(s.completed)))
    }
    if let gc = r.gc {
      for (i, d) in gc.series.depth.enumerated() {
        for x in d.samples {
          series.append(.init("vdi\(i)_chain_depth", time: x.time.seconds, value: Double(x.depth)))
        }
      }
      for x in gc.series.space {
        series.append(.init("sr_physical_utilisation_bytes", time: x.time.seconds, value: Double(x.bytes)))
      }
    }
    self.series = series
    var buckets: [LatencyBucket] = []
    for (name, h) in [("all", r.latency.all), ("read", r.latency.reads), ("write", r.latency.writes)] {
      for (i, c) in h.counts.enumerated() where c > 0 { buckets.append(.init(name, bucket: i, count: c)) }
    }
    latency = buckets
    events = Self.events(r.gc)
    samples = r.trace.map(\.csvLine)
  }

  /// The GC's work as timeline spans: each coalesce and leaf attempt on the SR's lane, and each
  /// leaf-coalesce pause on its VDI's lane.
  static func events(_ gc: GCResult?) -> [TimelineEvent] {
    guard let gc else { return [] }
    var out = gc.operations.map {
      TimelineEvent(kind: $0.kind.rawValue, lane: "GC", start: $0.started.seconds, end: $0.ended.seconds)
    }
    for a in gc.leaf.attempts where a.pause > .zero {
      out.append(
        TimelineEvent(
          kind: "pause", lane: "VDI " + String(a.vdi.prefix(8)), start: (a.ended - a.pause).seconds,
          end: a.ended.seconds))
    }
    return out
  }

  public func metric(_ name: String) -> Double? { metrics.first { $0.name == name }?.value }

  /// The value of the registry's `metric`, when the run recorded it.
  public func metric(_ metric: Pool.Metric) -> Double? { self.metric(metric.name) }
}

/// A span of simulated time on a named lane of a timeline (a GC pass, a coalesce, a pause), so the
/// report can draw any kind of background work without knowing what it is.
public struct TimelineEvent: Sendable, Equatable {
  /// What kind of work (one colour and legend entry per kind).
  public var kind: String
  /// The row it is drawn on (a VDI, an SR).
  public var lane: String
  /// Seconds.
  public var start: Double
  public var end: Double

  public init(kind: String, lane: String, start: Double, end: Double) {
    self.kind = kind
    self.lane = lane
    self.start = start
    self.end = end
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import VHD

/// The numbers kept per run, by name (the registry's ``Metric`` names). Per-request figures divide
/// by the requests the run completed after its warm-up (0 when it completed none); latencies are in
/// microseconds; `warmup_seconds` and `warmup_requests` say what the warm-up cut.
public struct RunMetrics: Sendable, Equatable {
  public var values: [String: Double]

  /// Every metric's name for a chain of `depth` levels, in report order.
  public static func names(depth: Int) -> [String] { Metric.runMetrics(depth: depth).map(\.name) }

  public init(_ run: ScenarioRun, _ r: RunResult) {
    func us(_ t: SimTime) -> Double { Double(t.nanoseconds) / 1000 }
    let n = Double(r.requests)
    func per(_ x: Int) -> Double { n == 0 ? 0 : Double(x) / n }
    var total = LevelWork()
    for l in r.chain.levels { total += l }
    let depth = run.settings.depth
    var v: [String: Double] = [:]
    func set(_ metric: Metric, _ value: Double) { v[metric.name] = value }
    // Epoch resolution times no request: its latencies (and physical I/Os) are absent, not zero.
    let timed = r.epochLength == nil
    if timed {
      set(.readLatencyP50, us(r.latency.reads.p50))
      set(.readLatencyP99, us(r.latency.reads.p99))
      set(.writeLatencyP99, us(r.latency.writes.p99))
      set(.latencyMean, us(r.latency.all.mean))
      set(.physicalIOsPerRequest, per(r.io.deviceIOs))
    }
    set(.iops, r.iops)
    set(.batProbesPerRequest, per(total.batProbes))
    set(.bitmapReadsPerRequest, per(total.bitmapReads))
    set(.bitmapCacheHitsPerRequest, per(total.bitmapCacheHits))
    set(.batmapShortcutsPerRequest, per(total.batmapShortcuts))
    set(.levelsProbedPerRequest, per(r.chain.levelsProbedSum))
    set(.chainDepth, Double(depth))
    set(.warmupSeconds, r.warmup.time.seconds)
    set(.warmupRequests, Double(r.warmup.requests))
    for k in 0..<depth {
      set(
        .bitmapLookupsPerRequestLevel(k), per(k < r.chain.levels.count ? r.chain.levels[k].bitmapConsults : 0)
      )
    }
    // A managed SR's garbage collector: GC bytes, pauses, give-ups, chain depth over time and after
    // GC, space (``Metric/gcMetrics``, from `GCResult.metrics`).
    if let gc = r.gc {
      v.merge(gc.metrics) { _, new in new }
      v.merge(SnapshotCoalesceFit.metrics(gc)) { _, new in new }
    }
    values = v
  }

  /// The fixed names present, in report order, then any other metric a later layer added (sorted), so
  /// new metrics reach every output without being listed here.
  public var names: [String] {
    let fixed = Self.names(depth: Int(values[Metric.chainDepth.name] ?? 0)).filter { values[$0] != nil }
    let known = Set(fixed)
    return fixed + values.keys.filter { !known.contains($0) }.sorted()
  }
}

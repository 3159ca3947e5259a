// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation

/// Combines the records of a run's SRs (its units, ``ScenarioRun/unit(sr:)``) into the run's record:
/// each metric by its registry rule (``Pool/Metric/Aggregation``), latency histograms bucket by
/// bucket, time series summed (the deepest chain: the largest) as step functions at every time any SR
/// sampled, each VDI's series (and each sample's `vm`) under its VM's run-wide index, timeline spans
/// on per-SR lanes, samples SR after SR. It reads
/// records only, so `vhdsim run` and `vhdsim merge` combine by the same code. One SR: the SR's record.
enum SRAggregation {
  /// The record of run `index` (seed `seed`) from its units' records and the units they are of (same
  /// order, SR by SR).
  static func run(index: Int, seed: UInt64, records: [RunRecord], units: [ScenarioRun]) -> RunRecord {
    if records.count == 1 {
      var r = records[0]
      r.index = index
      r.seed = seed
      return r
    }
    var out = RunRecord(index: index, seed: seed, metrics: metrics(records, units))
    out.series = series(records, units)
    out.latency = latency(records)
    for (r, u) in zip(records, units) {
      for e in r.events {
        out.events.append(.init(kind: e.kind, lane: "SR\(u.sr) \(e.lane)", start: e.start, end: e.end))
      }
      out.samples += r.samples.map { renumberVM($0, u) }
    }
    return out
  }

  // MARK: Metrics

  static func metrics(_ records: [RunRecord], _ units: [ScenarioRun]) -> [RunRecord.Metric] {
    var names: [String] = []
    var seen: Set<String> = []
    for r in records { for m in r.metrics where seen.insert(m.name).inserted { names.append(m.name) } }
    let requests = records.map { r in
      Double(r.latency.filter { $0.histogram == "all" }.reduce(UInt64(0)) { $0 + $1.count })
    }
    let vdis = units.map { Double($0.vms.count) }
    let pauses = records.map { r in Double(r.events.filter { $0.kind == "pause" }.count) }
    return names.map { name in
      // (value, SR position) of the SRs that recorded the metric.
      let values = records.enumerated().compactMap { k, r in r.metric(name).map { ($0, k) } }
      let xs = values.map(\.0)
      func weighted(_ w: [Double]) -> Double {
        let total = values.reduce(0) { $0 + w[$1.1] }
        return total == 0 ? 0 : values.reduce(0) { $0 + $1.0 * w[$1.1] } / total
      }
      let value: Double =
        switch Pool.Metric.named(name)?.aggregation ?? .sum {
        case .sum: xs.reduce(0, +)
        case .max: xs.max() ?? 0
        case .min: xs.min() ?? 0
        case .same: xs.first ?? 0
        case .requestWeightedMean: weighted(requests)
        case .vdiWeightedMean: weighted(vdis)
        case .pauseWeightedMean: weighted(pauses)
        case .meanOverSRs: xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count)
        case .percentile(let histogram, let q): percentile(records, histogram, q)
        case .peakOfSum(let name):
          stepCombine(records.map { $0.series.filter { $0.series == name } }, +).map(\.value).max()
            ?? xs.reduce(0, +)
        }
      return RunRecord.Metric(name, value)
    }
  }

  /// The `q`-quantile, in µs, of the SRs' `histogram` buckets merged: the midpoint of the bucket
  /// holding the ⌈q·n⌉-th smallest sample, as `LatencyHistogram.percentile` takes it (records keep no
  /// exact minimum and maximum to clamp to).
  static func percentile(_ records: [RunRecord], _ histogram: String, _ q: Double) -> Double {
    let counts = mergedBuckets(records)[histogram] ?? [:]
    let total = counts.values.reduce(0, +)
    guard total > 0 else { return 0 }
    let rank = Swift.max(1, UInt64((q * Double(total)).rounded(.up)))
    var seen: UInt64 = 0
    for b in counts.keys.sorted() {
      seen += counts[b]!
      if seen >= rank {
        let lo = Int64(LatencyBuckets.lowerBound(b))
        let hi = Int64(LatencyBuckets.upperBound(b))
        return Double(lo + (hi - lo - 1) / 2) / 1000
      }
    }
    return 0
  }

  // MARK: Histograms and series

  /// Bucket counts by histogram name, summed over the SRs.
  static func mergedBuckets(_ records: [RunRecord]) -> [String: [Int: UInt64]] {
    var out: [String: [Int: UInt64]] = [:]
    for r in records {
      for b in r.latency { out[b.histogram, default: [:]][b.bucket, default: 0] += b.count }
    }
    return out
  }

  static func latency(_ records: [RunRecord]) -> [RunRecord.LatencyBucket] {
    let merged = mergedBuckets(records)
    var names: [String] = []
    for r in records { for b in r.latency where !names.contains(b.histogram) { names.append(b.histogram) } }
    return names.flatMap { name in
      merged[name, default: [:]].keys.sorted().map { .init(name, bucket: $0, count: merged[name]![$0]!) }
    }
  }

  /// The run's series: the pool's (deepest chain the largest of the SRs', the others summed), each
  /// VDI's renamed to its VM's run-wide index (VDI j of SR k is the SR's j-th VM), then any other
  /// series summed, in the order the SRs first recorded them.
  static func series(_ records: [RunRecord], _ units: [ScenarioRun]) -> [RunRecord.SeriesPoint] {
    var perVDI: [(vm: Int, points: [RunRecord.SeriesPoint])] = []
    var names: [String] = []
    for (r, u) in zip(records, units) {
      for p in r.series {
        if let j = vdiIndex(p.series), j < u.vms.count {
          let vm = u.vms[j].index
          let renamed = RunRecord.SeriesPoint("vdi\(vm)_chain_depth", time: p.time, value: p.value)
          if let i = perVDI.firstIndex(where: { $0.vm == vm }) {
            perVDI[i].points.append(renamed)
          } else {
            perVDI.append((vm, [renamed]))
          }
        } else if !names.contains(p.series) {
          names.append(p.series)
        }
      }
    }
    func combined(_ name: String) -> [RunRecord.SeriesPoint] {
      let parts = records.map { $0.series.filter { $0.series == name } }
      return stepCombine(parts, name == "chain_depth" ? Swift.max : (+)).map {
        .init(name, time: $0.time, value: $0.value)
      }
    }
    let pool = RunRecord.poolSeries.filter(names.contains)
    let rest = names.filter { !RunRecord.poolSeries.contains($0) }
    return pool.flatMap(combined) + perVDI.sorted { $0.vm < $1.vm }.flatMap(\.points) + rest.flatMap(combined)
  }

  /// A trace line (`TraceRecord.csvLine`) with its `vm` field, the SR's own VM number, replaced by the
  /// VM's run-wide index.
  static func renumberVM(_ line: String, _ unit: ScenarioRun) -> String {
    var f = line.split(separator: ",", omittingEmptySubsequences: false)
    guard f.count > 2, let j = Int(f[2]), unit.vms.indices.contains(j) else { return line }
    f[2] = Substring(String(unit.vms[j].index))
    return f.joined(separator: ",")
  }

  /// `j` of `vdij_chain_depth`.
  static func vdiIndex(_ name: String) -> Int? {
    guard name.hasPrefix("vdi"), name.hasSuffix("_chain_depth") else { return nil }
    return Int(name.dropFirst(3).dropLast("_chain_depth".count))
  }

  /// Step functions (each SR's value holds from its sample until its next; 0 before its first)
  /// combined with `op` at every time any of them has a sample, in time order.
  static func stepCombine(
    _ parts: [[RunRecord.SeriesPoint]], _ op: (Double, Double) -> Double
  ) -> [(time: Double, value: Double)] {
    let times = Array(Set(parts.flatMap { $0.map(\.time) })).sorted()
    var next = Array(repeating: 0, count: parts.count)
    var current = Array(repeating: 0.0, count: parts.count)
    var out: [(Double, Double)] = []
    out.reserveCapacity(times.count)
    for t in times {
      for k in parts.indices {
        while next[k] < parts[k].count && parts[k][next[k]].time <= t {
          current[k] = parts[k][next[k]].value
          next[k] += 1
        }
      }
      out.append((t, current.dropFirst().reduce(current[0], op)))
    }
    return out
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Simulation
import VHD

/// Renderings of a run for people (aligned text) and programs (one JSON object): the figures a storage
/// engineer asks first — throughput, latency percentiles, work per request by chain level, physical
/// I/O per request by kind.
extension RunResult {
  func perRequest(_ x: Int) -> Double { requests == 0 ? 0 : Double(x) / Double(requests) }

  static func micros(_ t: SimTime) -> String { String(format: "%.1f µs", t.microseconds) }

  public var summaryText: String {
    var lines: [String] = []
    lines.append(
      "requests    \(requests) (\(counts.reads) reads, \(counts.writes) writes) in "
        + String(format: "%.3f", measuredDuration.seconds)
        + " s simulated\(warmup.time > .zero ? " after the warm-up" : ""): "
        + String(format: "%.0f IOPS", iops))
    if warmup.requests > 0 || warmup.time > .zero {
      lines.append(
        "warm-up     \(warmup.requests) requests in the first \(String(format: "%.3f", warmup.time.seconds)) s "
          + "cut from every figure below")
    }
    lines.append(
      "latency     mean \(Self.micros(latency.all.mean))  p50 \(Self.micros(latency.all.p50))  p90 \(Self.micros(latency.all.p90))  "
        + "p99 \(Self.micros(latency.all.p99))  p99.9 \(Self.micros(latency.all.p999))  max \(Self.micros(latency.all.max))"
    )
    if counts.reads > 0 {
      lines.append("  reads     p50 \(Self.micros(latency.reads.p50))  p99 \(Self.micros(latency.reads.p99))")
    }
    if counts.writes > 0 {
      lines.append(
        "  writes    p50 \(Self.micros(latency.writes.p50))  p99 \(Self.micros(latency.writes.p99))")
    }
    lines.append(
      "chain       depth \(String(format: "%.2f", perRequest(chain.chainDepthSum))), levels probed "
        + String(format: "%.2f", perRequest(chain.levelsProbedSum)) + " per request")
    lines.append(
      "per level   BAT probes  bitmap hits  bitmap reads  BATmap shortcuts   (per request; level 0 = leaf)")
    for (i, l) in chain.levels.enumerated() {
      lines.append(
        String(
          format: "  %5d     %10.3f  %11.3f  %12.3f  %16.3f", i, perRequest(l.batProbes),
          perRequest(l.bitmapCacheHits),
          perRequest(l.bitmapReads), perRequest(l.batmapShortcuts)))
    }
    let kinds = IOKind.allCases.filter { io.count($0) > 0 }
      .map { "\($0) " + String(format: "%.3f", perRequest(io.count($0))) }
    lines.append("engine I/O  per request: " + (kinds.isEmpty ? "none" : kinds.joined(separator: ", ")))
    lines.append(
      "device I/O  " + String(format: "%.3f", perRequest(io.deviceIOs)) + " per request after SR placement")
    if let d = disks.first {
      lines.append(
        String(
          format: "disk        utilisation %.3f, mean in system %.2f, mean queue wait %.1f µs", d.utilization,
          d.meanInSystem, d.meanWait / 1e3))
    }
    if stalls.requests > 0 || reopens.count > 0 {
      lines.append(
        "pauses      \(stalls.requests) requests held, total stall \(Self.micros(stalls.total)), "
          + "max \(Self.micros(stalls.max)); \(reopens.count) reopens reading \(reopens.bytes) bytes")
    }
    lines.append(String(format: "digest      %016llx", digest))
    return lines.joined(separator: "\n")
  }

  /// One JSON object on one line, sorted keys (`JSONEncoder` over `RunReportJSON`).
  public var json: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (try? encoder.encode(RunReportJSON(self))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }
}

/// `vhdsim simulate --json`: throughput, the warm-up cut, latency percentiles (µs), work per request by chain level,
/// engine I/O by kind, device I/O, stalls, the digest; the first disk's queue figures and the time
/// series when there are any.
struct RunReportJSON: Encodable {
  let result: RunResult

  init(_ result: RunResult) { self.result = result }

  private enum Key: String, CodingKey {
    case requests, reads, writes, iops, levels, reopens, digest, disk, mean, p50, p90, p99, p999, max
    case utilization, completed
    case durationS = "duration_s"
    case bytesRead = "bytes_read"
    case bytesWritten = "bytes_written"
    case latencyUs = "latency_us"
    case readLatencyUs = "read_latency_us"
    case writeLatencyUs = "write_latency_us"
    case chainDepthMean = "chain_depth_mean"
    case levelsProbedPerRequest = "levels_probed_per_request"
    case engineIOs = "engine_ios"
    case engineIOsPerRequest = "engine_ios_per_request"
    case deviceIOs = "device_ios"
    case zeroFilledSectors = "zero_filled_sectors"
    case blocksAllocated = "blocks_allocated"
    case stalledRequests = "stalled_requests"
    case stallUs = "stall_us"
    case warmupSeconds = "warmup_seconds"
    case warmupRequests = "warmup_requests"
    case timeSeries = "time_series"
    case batProbes = "bat_probes"
    case bitmapCacheHits = "bitmap_cache_hits"
    case bitmapReads = "bitmap_reads"
    case batmapShortcuts = "batmap_shortcuts"
    case sectorsServed = "sectors_served"
    case meanInSystem = "mean_in_system"
    case meanWaitUs = "mean_wait_us"
    case tS = "t_s"
    case chainDepth = "chain_depth"
    case allocatedBytes = "allocated_bytes"
  }

  func encode(to encoder: any Encoder) throws {
    let r = result
    func us(_ t: SimTime) -> Double { t.microseconds }
    var c = encoder.container(keyedBy: Key.self)
    try c.encode(r.requests, forKey: .requests)
    try c.encode(r.counts.reads, forKey: .reads)
    try c.encode(r.counts.writes, forKey: .writes)
    try c.encode(r.duration.seconds, forKey: .durationS)
    try c.encode(r.iops, forKey: .iops)
    try c.encode(r.warmup.time.seconds, forKey: .warmupSeconds)
    try c.encode(r.warmup.requests, forKey: .warmupRequests)
    try c.encode(r.counts.bytesRead, forKey: .bytesRead)
    try c.encode(r.counts.bytesWritten, forKey: .bytesWritten)
    var latency = c.nestedContainer(keyedBy: Key.self, forKey: .latencyUs)
    let all = r.latency.all
    for (key, t) in [(Key.mean, all.mean), (.p50, all.p50), (.p90, all.p90)]
      + [(Key.p99, all.p99), (.p999, all.p999), (.max, all.max)]
    {
      try latency.encode(us(t), forKey: key)
    }
    for (key, l) in [(Key.readLatencyUs, r.latency.reads), (.writeLatencyUs, r.latency.writes)] {
      var percentiles = c.nestedContainer(keyedBy: Key.self, forKey: key)
      try percentiles.encode(us(l.p50), forKey: .p50)
      try percentiles.encode(us(l.p99), forKey: .p99)
    }
    try c.encode(r.perRequest(r.chain.chainDepthSum), forKey: .chainDepthMean)
    try c.encode(r.perRequest(r.chain.levelsProbedSum), forKey: .levelsProbedPerRequest)
    var levels = c.nestedUnkeyedContainer(forKey: .levels)
    for l in r.chain.levels {
      var level = levels.nestedContainer(keyedBy: Key.self)
      try level.encode(l.batProbes, forKey: .batProbes)
      try level.encode(l.bitmapCacheHits, forKey: .bitmapCacheHits)
      try level.encode(l.bitmapReads, forKey: .bitmapReads)
      try level.encode(l.batmapShortcuts, forKey: .batmapShortcuts)
      try level.encode(l.sectorsServed, forKey: .sectorsServed)
    }
    try c.encode(
      Dictionary(uniqueKeysWithValues: IOKind.allCases.map { ("\($0)", r.io.count($0)) }), forKey: .engineIOs)
    try c.encode(
      Dictionary(uniqueKeysWithValues: IOKind.allCases.map { ("\($0)", r.perRequest(r.io.count($0))) }),
      forKey: .engineIOsPerRequest)
    try c.encode(r.io.deviceIOs, forKey: .deviceIOs)
    try c.encode(r.chain.zeroFilledSectors, forKey: .zeroFilledSectors)
    try c.encode(r.chain.blocksAllocated, forKey: .blocksAllocated)
    try c.encode(r.stalls.requests, forKey: .stalledRequests)
    try c.encode(us(r.stalls.total), forKey: .stallUs)
    try c.encode(r.reopens.count, forKey: .reopens)
    try c.encode(String(format: "%016llx", r.digest), forKey: .digest)
    if let d = r.disks.first {
      var disk = c.nestedContainer(keyedBy: Key.self, forKey: .disk)
      try disk.encode(d.utilization, forKey: .utilization)
      try disk.encode(d.meanInSystem, forKey: .meanInSystem)
      try disk.encode(d.meanWait / 1e3, forKey: .meanWaitUs)
    }
    guard !r.timeSeries.isEmpty else { return }
    var series = c.nestedUnkeyedContainer(forKey: .timeSeries)
    for t in r.timeSeries {
      var sample = series.nestedContainer(keyedBy: Key.self)
      try sample.encode(t.time.seconds, forKey: .tS)
      try sample.encode(t.chainDepth, forKey: .chainDepth)
      try sample.encode(t.allocatedBytes, forKey: .allocatedBytes)
      try sample.encode(t.completed, forKey: .completed)
    }
  }
}

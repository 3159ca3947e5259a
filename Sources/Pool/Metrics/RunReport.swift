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
      "requests    \(requests) (\(reads) reads, \(writes) writes) in \(String(format: "%.3f", duration.seconds)) s simulated: "
        + String(format: "%.0f IOPS", iops))
    lines.append(
      "latency     mean \(Self.micros(latency.mean))  p50 \(Self.micros(latency.p50))  p90 \(Self.micros(latency.p90))  "
        + "p99 \(Self.micros(latency.p99))  p99.9 \(Self.micros(latency.p999))  max \(Self.micros(latency.max))"
    )
    if reads > 0 {
      lines.append("  reads     p50 \(Self.micros(readLatency.p50))  p99 \(Self.micros(readLatency.p99))")
    }
    if writes > 0 {
      lines.append("  writes    p50 \(Self.micros(writeLatency.p50))  p99 \(Self.micros(writeLatency.p99))")
    }
    lines.append(
      "chain       depth \(String(format: "%.2f", perRequest(chainDepthSum))), levels probed "
        + String(format: "%.2f", perRequest(levelsProbedSum)) + " per request")
    lines.append(
      "per level   BAT probes  bitmap hits  bitmap reads  BATmap shortcuts   (per request; level 0 = leaf)")
    for (i, l) in levels.enumerated() {
      lines.append(
        String(
          format: "  %5d     %10.3f  %11.3f  %12.3f  %16.3f", i, perRequest(l.batProbes),
          perRequest(l.bitmapCacheHits),
          perRequest(l.bitmapReads), perRequest(l.batmapShortcuts)))
    }
    let kinds = IOKind.allCases.filter { ioCount($0) > 0 }
      .map { "\($0) " + String(format: "%.3f", perRequest(ioCount($0))) }
    lines.append("engine I/O  per request: " + (kinds.isEmpty ? "none" : kinds.joined(separator: ", ")))
    lines.append(
      "device I/O  " + String(format: "%.3f", perRequest(deviceIOs)) + " per request after SR placement")
    if let d = disks.first {
      lines.append(
        String(
          format: "disk        utilisation %.3f, mean in system %.2f, mean queue wait %.1f µs", d.utilization,
          d.meanInSystem, d.meanWait / 1e3))
    }
    if stalledRequests > 0 || reopens > 0 {
      lines.append(
        "pauses      \(stalledRequests) requests held, total stall \(Self.micros(stallTime)), max \(Self.micros(maxStall)); "
          + "\(reopens) reopens reading \(reopenBytes) bytes")
    }
    lines.append(String(format: "digest      %016llx", digest))
    return lines.joined(separator: "\n")
  }

  public var json: String {
    func us(_ t: SimTime) -> Double { t.microseconds }
    var o: [String: Any] = [
      "requests": requests, "reads": reads, "writes": writes, "duration_s": duration.seconds, "iops": iops,
      "bytes_read": bytesRead, "bytes_written": bytesWritten,
      "latency_us": [
        "mean": us(latency.mean), "p50": us(latency.p50), "p90": us(latency.p90), "p99": us(latency.p99),
        "p999": us(latency.p999), "max": us(latency.max),
      ],
      "read_latency_us": ["p50": us(readLatency.p50), "p99": us(readLatency.p99)],
      "write_latency_us": ["p50": us(writeLatency.p50), "p99": us(writeLatency.p99)],
      "chain_depth_mean": perRequest(chainDepthSum), "levels_probed_per_request": perRequest(levelsProbedSum),
      "levels": levels.map {
        [
          "bat_probes": $0.batProbes, "bitmap_cache_hits": $0.bitmapCacheHits, "bitmap_reads": $0.bitmapReads,
          "batmap_shortcuts": $0.batmapShortcuts, "sectors_served": $0.sectorsServed,
        ]
      },
      "engine_ios": Dictionary(uniqueKeysWithValues: IOKind.allCases.map { ("\($0)", ioCount($0)) }),
      "engine_ios_per_request": Dictionary(
        uniqueKeysWithValues: IOKind.allCases.map { ("\($0)", perRequest(ioCount($0))) }),
      "device_ios": deviceIOs, "zero_filled_sectors": zeroFilledSectors, "blocks_allocated": blocksAllocated,
      "stalled_requests": stalledRequests, "stall_us": us(stallTime), "reopens": reopens,
      "digest": String(format: "%016llx", digest),
    ]
    if let d = disks.first {
      o["disk"] = [
        "utilization": d.utilization, "mean_in_system": d.meanInSystem, "mean_wait_us": d.meanWait / 1e3,
      ]
    }
    if !timeSeries.isEmpty {
      o["time_series"] = timeSeries.map {
        [
          "t_s": $0.time.seconds, "chain_depth": $0.chainDepth, "allocated_bytes": $0.allocatedBytes,
          "completed": $0.completed,
        ]
      }
    }
    guard let data = try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]) else {
      return "{}"
    }
    return String(decoding: data, as: UTF8.self)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// Turns completed guest requests into the run's metrics: latency histograms, per-level lookup
/// totals, physical I/O by kind, stalls, the optional per-request trace, and the periodic samples of
/// the pool's state.
struct MetricsRecorder {
  var result = RunResult()
  /// Record one `TraceRecord` per request (small runs).
  var recordTrace = false
  /// Sample the time series every `sampleInterval` (nil: no time series).
  var sampleInterval: SimTime?

  /// One sample of the pool's state.
  mutating func sample(at now: SimTime, chainDepth: Int, allocatedBytes: UInt64) {
    result.timeSeries.append(
      TimeSample(
        time: now, chainDepth: chainDepth, allocatedBytes: allocatedBytes, completed: result.requests))
  }

  /// A guest request completed at `now`.
  mutating func record(_ slot: RequestSlot, at now: SimTime) {
    let latency = now - slot.issued
    let bytes = UInt64(slot.sectors) * 512
    if slot.isWrite {
      result.writes += 1
      result.bytesWritten += bytes
      result.writeLatency.record(latency)
    } else {
      result.reads += 1
      result.bytesRead += bytes
      result.readLatency.record(latency)
    }
    result.latency.record(latency)
    let work = slot.work
    let depth = work.depth
    if result.levels.count < depth {
      result.levels.append(contentsOf: repeatElement(LevelTotals(), count: depth - result.levels.count))
    }
    var probes = 0
    var hits = 0
    var reads = 0
    var shortcuts = 0
    for l in 0..<depth {
      let w = work.levels[l]
      result.levels[l] += w
      probes += w.batProbes
      hits += w.bitmapCacheHits
      reads += w.bitmapReads
      shortcuts += w.batmapShortcuts
    }
    result.levelsProbedSum += work.levelsProbed
    result.chainDepthSum += depth
    result.zeroFilledSectors += work.zeroFilled
    result.blocksAllocated += work.blocksAllocated
    for k in 0..<IOTap.countSlots where work.counts[k] != 0 {
      result.ios[k].count += work.counts[k]
      result.ios[k].bytes += work.bytes[k]
    }
    result.deviceIOs += slot.ops.count
    if slot.heldSince != .min {
      result.stalledRequests += 1
      result.stallTime += slot.stall
      if slot.stall > result.maxStall { result.maxStall = slot.stall }
    }
    guard recordTrace else { return }
    var kinds = [Int](repeating: 0, count: IOKind.allCases.count)
    for k in 0..<IOTap.countSlots { kinds[k / 2] += work.counts[k] }
    result.trace.append(
      TraceRecord(
        issued: slot.issued, completed: now, vm: Int(slot.vm), isWrite: slot.isWrite,
        sector: slot.sector, bytes: Int(bytes), queueTime: latency - slot.serviceTime,
        serviceTime: slot.serviceTime, stallTime: slot.stall, chainDepth: depth,
        levelsProbed: work.levelsProbed, batProbes: probes, bitmapCacheHits: hits, bitmapReads: reads,
        batmapShortcuts: shortcuts, iosByKind: kinds))
  }
}

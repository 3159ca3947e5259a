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
  /// The warm-up rule and what it needs to cut the warm-up exactly at the end.
  var warmup = WarmupDetector()

  /// One sample of the pool's state.
  mutating func sample(at now: SimTime, chainDepth: Int, allocatedBytes: UInt64) {
    result.timeSeries.append(
      TimeSample(
        time: now, chainDepth: chainDepth, allocatedBytes: allocatedBytes, completed: result.requests))
  }

  /// A guest request completed at `now`.
  mutating func record(_ slot: RequestSlot, at now: SimTime) {
    let latency = now - slot.timing.issued
    warmup.willRecord(at: now, result: result)
    let bytes = UInt64(slot.sectors) * 512
    if slot.isWrite {
      result.counts.writes += 1
      result.counts.bytesWritten += bytes
      result.latency.writes.record(latency)
    } else {
      result.counts.reads += 1
      result.counts.bytesRead += bytes
      result.latency.reads.record(latency)
    }
    result.latency.all.record(latency)
    let work = slot.work
    let depth = work.depth
    if result.chain.levels.count < depth {
      result.chain.levels.append(
        contentsOf: repeatElement(LevelTotals(), count: depth - result.chain.levels.count))
    }
    var probes = 0
    var hits = 0
    var reads = 0
    var shortcuts = 0
    for l in 0..<depth {
      let w = work.levels[l]
      result.chain.levels[l] += w
      probes += w.batProbes
      hits += w.bitmapCacheHits
      reads += w.bitmapReads
      shortcuts += w.batmapShortcuts
    }
    result.chain.levelsProbedSum += work.levelsProbed
    result.chain.chainDepthSum += depth
    result.chain.zeroFilledSectors += work.zeroFilled
    result.chain.blocksAllocated += work.blocksAllocated
    for k in 0..<IOTap.countSlots where work.counts[k] != 0 {
      result.io.ios[k].count += work.counts[k]
      result.io.ios[k].bytes += work.bytes[k]
    }
    result.io.deviceIOs += slot.ops.count
    let timing = slot.timing
    if timing.heldSince != .min {
      result.stalls.requests += 1
      result.stalls.total += timing.stall
      if timing.stall > result.stalls.max { result.stalls.max = timing.stall }
    }
    warmup.recorded(
      latency: latency, isWrite: slot.isWrite, stall: timing.heldSince != .min ? timing.stall : nil, at: now,
      result: result)
    guard recordTrace else { return }
    var kinds = [Int](repeating: 0, count: IOKind.allCases.count)
    for k in 0..<IOTap.countSlots { kinds[k / 2] += work.counts[k] }
    result.trace.append(
      TraceRecord(
        issued: timing.issued, completed: now, vm: Int(slot.vm), isWrite: slot.isWrite,
        sector: slot.sector, bytes: Int(bytes), queueTime: latency - timing.serviceTime,
        serviceTime: timing.serviceTime, stallTime: timing.stall, chainDepth: depth,
        lookups: LookupCounts(
          levelsProbed: work.levelsProbed, batProbes: probes, bitmapCacheHits: hits, bitmapReads: reads,
          batmapShortcuts: shortcuts),
        iosByKind: kinds, io: timing.io))
  }
}

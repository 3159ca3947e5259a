// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// The run's additive totals after some number of completions: what the warm-up cut subtracts, so
/// every metric after the cut is exactly what the remaining requests alone would have recorded.
struct MetricsCheckpoint: Sendable {
  var requests: Int
  var time: SimTime
  var counts: RequestCounts
  var latency: RequestLatencies
  var chain: ChainTotals
  var io: PhysicalIOTotals
  var stalls: StallTotals
  var reopens: ReopenTotals

  init(_ r: RunResult, at time: SimTime) {
    requests = r.requests
    self.time = time
    counts = r.counts
    latency = r.latency
    chain = r.chain
    io = r.io
    stalls = r.stalls
    reopens = r.reopens
  }
}

/// Minima and maxima of the requests after a cut, which subtraction cannot recover: the three latency
/// histograms' extremes and the longest stall. Kept per batch and merged.
struct LatencyExtremes: Sendable {
  var all = (min: SimTime.max, max: SimTime.zero)
  var reads = (min: SimTime.max, max: SimTime.zero)
  var writes = (min: SimTime.max, max: SimTime.zero)
  var stallMax = SimTime.zero

  @inline(__always)
  mutating func record(_ latency: SimTime, isWrite: Bool, stall: SimTime?) {
    all = (Swift.min(all.min, latency), Swift.max(all.max, latency))
    if isWrite {
      writes = (Swift.min(writes.min, latency), Swift.max(writes.max, latency))
    } else {
      reads = (Swift.min(reads.min, latency), Swift.max(reads.max, latency))
    }
    if let stall, stall > stallMax { stallMax = stall }
  }

  mutating func merge(_ o: LatencyExtremes) {
    all = (Swift.min(all.min, o.all.min), Swift.max(all.max, o.all.max))
    reads = (Swift.min(reads.min, o.reads.min), Swift.max(reads.max, o.reads.max))
    writes = (Swift.min(writes.min, o.writes.min), Swift.max(writes.max, o.writes.max))
    stallMax = Swift.max(stallMax, o.stallMax)
  }
}

extension RunResult {
  /// This result without the requests `prefix` had recorded; `rest` holds the extremes of the requests
  /// after it. The time series, disks and GC result stay as they are (they describe the whole run).
  func excluding(_ prefix: MetricsCheckpoint, rest: LatencyExtremes) -> RunResult {
    var r = self
    r.counts.reads -= prefix.counts.reads
    r.counts.writes -= prefix.counts.writes
    r.counts.bytesRead -= prefix.counts.bytesRead
    r.counts.bytesWritten -= prefix.counts.bytesWritten
    r.latency.all.subtract(prefix.latency.all, min: rest.all.min, max: rest.all.max)
    r.latency.reads.subtract(prefix.latency.reads, min: rest.reads.min, max: rest.reads.max)
    r.latency.writes.subtract(prefix.latency.writes, min: rest.writes.min, max: rest.writes.max)
    for l in prefix.chain.levels.indices {
      r.chain.levels[l].batProbes -= prefix.chain.levels[l].batProbes
      r.chain.levels[l].bitmapCacheHits -= prefix.chain.levels[l].bitmapCacheHits
      r.chain.levels[l].bitmapReads -= prefix.chain.levels[l].bitmapReads
      r.chain.levels[l].batmapShortcuts -= prefix.chain.levels[l].batmapShortcuts
      r.chain.levels[l].sectorsServed -= prefix.chain.levels[l].sectorsServed
    }
    r.chain.levelsProbedSum -= prefix.chain.levelsProbedSum
    r.chain.chainDepthSum -= prefix.chain.chainDepthSum
    r.chain.zeroFilledSectors -= prefix.chain.zeroFilledSectors
    r.chain.blocksAllocated -= prefix.chain.blocksAllocated
    for k in prefix.io.ios.indices {
      r.io.ios[k].count -= prefix.io.ios[k].count
      r.io.ios[k].bytes -= prefix.io.ios[k].bytes
    }
    r.io.deviceIOs -= prefix.io.deviceIOs
    r.stalls.requests -= prefix.stalls.requests
    r.stalls.total = r.stalls.total - prefix.stalls.total
    r.stalls.max = rest.stallMax
    r.reopens.count -= prefix.reopens.count
    r.reopens.bytes -= prefix.reopens.bytes
    r.warmup = WarmupCut(requests: prefix.requests, time: prefix.time)
    return r
  }
}

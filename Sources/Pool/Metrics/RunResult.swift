// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// One periodic sample of the pool's state.
public struct TimeSample: Sendable, Equatable {
  public var time: SimTime
  /// Deepest attached chain.
  public var chainDepth: Int
  /// Bytes the SR has allocated on the device (extents).
  public var allocatedBytes: UInt64
  /// Guest requests completed so far.
  public var completed: Int
}

/// One guest request, for the optional per-request trace (small runs only: one record per request).
public struct TraceRecord: Sendable, Equatable {
  public var issued: SimTime
  public var completed: SimTime
  public var vm: Int
  public var isWrite: Bool
  public var sector: UInt64
  public var bytes: Int
  /// Waiting in the tapdisk (outstanding-request limit or pause) and for the disk.
  public var queueTime: SimTime
  public var serviceTime: SimTime
  public var stallTime: SimTime
  public var chainDepth: Int
  /// The chain lookups it made, summed over its levels.
  public var lookups: LookupCounts
  /// Engine I/Os by `IOKind` (footer, header, bat, bitmap, batmap, locator, data), both directions.
  public var iosByKind: [Int]
  /// Its device I/Os as its tapdisk's thread handled them: time in flight, in `io_submit`, zeroing.
  public var io = ThreadIOTimes()

  public static let csvHeader =
    "issued_ns,completed_ns,vm,op,sector,bytes,latency_ns,queue_ns,service_ns,stall_ns,depth,levels_probed,"
    + "bat_probes,bitmap_hits,bitmap_reads,batmap_shortcuts,"
    + IOKind.allCases.map { "io_\($0)" }.joined(separator: ",")

  public var csvLine: String {
    let head = [
      "\(issued.nanoseconds)", "\(completed.nanoseconds)", "\(vm)", isWrite ? "write" : "read", "\(sector)",
      "\(bytes)",
      "\((completed - issued).nanoseconds)", "\(queueTime.nanoseconds)", "\(serviceTime.nanoseconds)",
      "\(stallTime.nanoseconds)", "\(chainDepth)", "\(lookups.levelsProbed)", "\(lookups.batProbes)",
      "\(lookups.bitmapCacheHits)", "\(lookups.bitmapReads)", "\(lookups.batmapShortcuts)",
    ]
    return (head + iosByKind.map(String.init)).joined(separator: ",")
  }
}

/// Everything a run measured, as a plain value: safe to hand to another thread, compare, or digest.
public struct RunResult: Sendable, Equatable {
  /// Simulated time covered.
  public var duration = SimTime.zero
  public var counts = RequestCounts()
  public var latency = RequestLatencies()
  public var chain = ChainTotals()
  public var io = PhysicalIOTotals()
  public var stalls = StallTotals()
  public var reopens = ReopenTotals()
  /// What the warm-up rule cut: every count, latency and total here is of the requests after it.
  public var warmup = WarmupCut()
  /// Per disk: FIFO statistics closed at the end of the run.
  public var disks: [FIFOResourceStatistics] = []
  public var timeSeries: [TimeSample] = []
  /// Per-request records when tracing was asked for.
  public var trace: [TraceRecord] = []
  /// What the SR and its GC did (pools over an SR only). Not part of `digest`, which covers the guest
  /// side; `GCResult.digest` covers this.
  public var gc: GCResult?
  /// The epoch length when guest I/O ran at epoch resolution (docs/simulation.md#epoch-resolution):
  /// then no request was timed and the latencies are absent, not zero. Nil at request resolution.
  public var epochLength: SimTime?

  public init() {}

  public var requests: Int { counts.total }
  /// Simulated time after the warm-up: what IOPS divides by.
  public var measuredDuration: SimTime { duration - warmup.time }
  public var iops: Double {
    measuredDuration.nanoseconds <= 0 ? 0 : Double(requests) / measuredDuration.seconds
  }

  /// A 64-bit FNV-1a digest of every count and time in the result (not the trace's text): equal seeds
  /// must give equal digests on every machine.
  public var digest: UInt64 {
    var h = FNV1a64()
    for x in [
      duration.nanoseconds, Int64(counts.reads), Int64(counts.writes), Int64(bitPattern: counts.bytesRead),
      Int64(bitPattern: counts.bytesWritten),
      Int64(chain.levelsProbedSum), Int64(chain.chainDepthSum), Int64(chain.zeroFilledSectors),
      Int64(chain.blocksAllocated),
      Int64(io.deviceIOs), Int64(stalls.requests), stalls.total.nanoseconds, stalls.max.nanoseconds,
      Int64(reopens.count), Int64(bitPattern: reopens.bytes), Int64(warmup.requests), warmup.time.nanoseconds,
    ] {
      h.combine(UInt64(bitPattern: x))
    }
    latency.all.digest(into: &h)
    latency.reads.digest(into: &h)
    latency.writes.digest(into: &h)
    for l in chain.levels {
      for x in [l.batProbes, l.bitmapCacheHits, l.bitmapReads, l.batmapShortcuts, l.sectorsServed] {
        h.combine(UInt64(bitPattern: Int64(x)))
      }
    }
    for t in io.ios {
      h.combine(UInt64(t.count))
      h.combine(t.bytes)
    }
    for d in disks {
      h.combine(UInt64(d.requests))
      h.combine(d.busyTime.bitPattern)
      h.combine(d.maxWait.nanoseconds.magnitude)
    }
    for s in timeSeries {
      h.combine(UInt64(s.time.nanoseconds))
      h.combine(UInt64(s.chainDepth))
      h.combine(s.allocatedBytes)
      h.combine(UInt64(s.completed))
    }
    return h.value
  }

  /// The trace as CSV (header line first).
  public var traceCSV: String {
    ([TraceRecord.csvHeader] + trace.map(\.csvLine)).joined(separator: "\n") + "\n"
  }
}

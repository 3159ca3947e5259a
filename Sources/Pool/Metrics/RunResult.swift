// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// Chain-level work summed over a run (index 0 is the leaf): the engine's `LevelWork`, added up.
public typealias LevelTotals = LevelWork

/// Engine I/Os of one kind and direction summed over a run.
public struct IOTotals: Sendable, Equatable {
  public var kind: IOKind
  public var direction: IODirection
  public var count: Int
  public var bytes: UInt64
}

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
  public var levelsProbed: Int
  public var batProbes: Int
  public var bitmapCacheHits: Int
  public var bitmapReads: Int
  public var batmapShortcuts: Int
  /// Engine I/Os by `IOKind` (footer, header, bat, bitmap, batmap, locator, data), both directions.
  public var iosByKind: [Int]

  public static let csvHeader =
    "issued_ns,completed_ns,vm,op,sector,bytes,latency_ns,queue_ns,service_ns,stall_ns,depth,levels_probed,"
    + "bat_probes,bitmap_hits,bitmap_reads,batmap_shortcuts,"
    + IOKind.allCases.map { "io_\($0)" }.joined(separator: ",")

  public var csvLine: String {
    let head = [
      "\(issued.nanoseconds)", "\(completed.nanoseconds)", "\(vm)", isWrite ? "write" : "read", "\(sector)",
      "\(bytes)",
      "\((completed - issued).nanoseconds)", "\(queueTime.nanoseconds)", "\(serviceTime.nanoseconds)",
      "\(stallTime.nanoseconds)", "\(chainDepth)", "\(levelsProbed)", "\(batProbes)", "\(bitmapCacheHits)",
      "\(bitmapReads)", "\(batmapShortcuts)",
    ]
    return (head + iosByKind.map(String.init)).joined(separator: ",")
  }
}

/// Everything a run measured, as a plain value: safe to hand to another thread, compare, or digest.
public struct RunResult: Sendable, Equatable {
  /// Simulated time covered.
  public var duration = SimTime.zero
  public var reads = 0
  public var writes = 0
  public var bytesRead: UInt64 = 0
  public var bytesWritten: UInt64 = 0
  /// Response time (issue to completion: tapdisk queue, pause, disk queue, service) of every request.
  public var latency = LatencyHistogram()
  public var readLatency = LatencyHistogram()
  public var writeLatency = LatencyHistogram()
  /// Per chain level (0 = leaf), over every request (reads and writes).
  public var levels: [LevelTotals] = []
  /// Σ over requests of the levels each probed, and of the chain depth it ran against.
  public var levelsProbedSum = 0
  public var chainDepthSum = 0
  public var zeroFilledSectors = 0
  public var blocksAllocated = 0
  /// Engine I/Os by kind and direction (`IOKind.rawValue * 2 + direction.rawValue`).
  public var ios: [IOTotals] = IOKind.allCases.flatMap { k in
    [
      IOTotals(kind: k, direction: .read, count: 0, bytes: 0),
      IOTotals(kind: k, direction: .write, count: 0, bytes: 0),
    ]
  }
  /// Device I/Os after placement (an engine I/O crossing an extent boundary counts once per extent).
  public var deviceIOs = 0
  /// Requests a paused tapdisk held, their total and longest hold.
  public var stalledRequests = 0
  public var stallTime = SimTime.zero
  public var maxStall = SimTime.zero
  /// Tapdisk reopens and the metadata bytes each level's reopen read.
  public var reopens = 0
  public var reopenBytes: UInt64 = 0
  /// Per disk: FIFO statistics closed at the end of the run.
  public var disks: [FIFOResourceStatistics] = []
  public var timeSeries: [TimeSample] = []
  /// Per-request records when tracing was asked for.
  public var trace: [TraceRecord] = []
  /// What the SR and its GC did (pools over an SR only). Not part of `digest`, which covers the guest
  /// side; `GCResult.digest` covers this.
  public var gc: GCResult?

  public init() {}

  public var requests: Int { reads + writes }
  public var iops: Double { duration.nanoseconds == 0 ? 0 : Double(requests) / duration.seconds }

  public func ioCount(_ kind: IOKind) -> Int {
    ios[Int(kind.rawValue) * 2].count + ios[Int(kind.rawValue) * 2 + 1].count
  }

  /// A 64-bit FNV-1a digest of every count and time in the result (not the trace's text): equal seeds
  /// must give equal digests on every machine.
  public var digest: UInt64 {
    var h = FNV1a64()
    for x in [
      duration.nanoseconds, Int64(reads), Int64(writes), Int64(bitPattern: bytesRead),
      Int64(bitPattern: bytesWritten),
      Int64(levelsProbedSum), Int64(chainDepthSum), Int64(zeroFilledSectors), Int64(blocksAllocated),
      Int64(deviceIOs), Int64(stalledRequests), stallTime.nanoseconds, maxStall.nanoseconds, Int64(reopens),
      Int64(bitPattern: reopenBytes),
    ] {
      h.combine(UInt64(bitPattern: x))
    }
    latency.digest(into: &h)
    readLatency.digest(into: &h)
    writeLatency.digest(into: &h)
    for l in levels {
      for x in [l.batProbes, l.bitmapCacheHits, l.bitmapReads, l.batmapShortcuts, l.sectorsServed] {
        h.combine(UInt64(bitPattern: Int64(x)))
      }
    }
    for io in ios {
      h.combine(UInt64(io.count))
      h.combine(io.bytes)
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

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// How one leaf-coalesce attempt ended, in the storage manager's terms.
public enum LeafOutcome: Sendable, Equatable, CustomStringConvertible {
  /// The leaf was merged into its parent and the VDI now ends at the merged node.
  case success
  /// `live`: the policy refused (predicted copy time over the margin, or too big without an estimate).
  case notAllowed
  /// `snapshot-coalesce`: the tracker gave up, with its reason.
  case gaveUp(String)
  /// The paused copy ran past the timeout and was undone.
  case timeout
  /// Not enough free space for the operation.
  case noSpace
  /// The tree changed under the operation (the leaf vanished or is no longer leaf-coalesceable).
  case abandoned
  /// An SR or engine error; the target is remembered as failed for this GC process.
  case failed(String)

  public var description: String {
    switch self {
    case .success: "success"
    case .notAllowed: "not-allowed"
    case .gaveUp(let r): "gave-up: \(r)"
    case .timeout: "timeout"
    case .noSpace: "no-space"
    case .abandoned: "abandoned"
    case .failed(let e): "failed: \(e)"
    }
  }
}

/// One leaf-coalesce attempt of the GC: which VDI, which design, how it ended and what it cost.
public struct LeafAttempt: Sendable, Equatable {
  /// The leaf's VDI uuid.
  public var vdi: String
  /// `LeafCoalesceDesign` name (none, live, snapshot-coalesce, offline, mirror).
  public var design: String
  public var started: SimTime
  public var ended: SimTime
  public var outcome: LeafOutcome
  /// Snapshot-coalesce iterations (0 for the other designs).
  public var iterations: Int
  /// Mirror copy passes (the first full pass included; 0 for the other designs).
  public var passes: Int
  /// Payload copied by this attempt (leaf copy and the iterations' non-leaf coalesces).
  public var bytesCopied: UInt64
  /// How long the attempt kept the VDI's tapdisk paused (all its pauses together).
  public var pause: SimTime
  /// Snapshot-coalesce: the leaf's physical size after each iteration (what the tracker was fed).
  public var leafSizes: [UInt64]
  /// Snapshot-coalesce: each iteration's times and sizes.
  public var iterationLog: [SnapshotCoalesceIteration] = []
}

/// One snapshot-coalesce iteration (docs/storage-manager.md#snapshot-coalesce): internal snapshot, then the non-leaf coalesce of the new
/// hidden parent while the guest writes to the new leaf.
public struct SnapshotCoalesceIteration: Sendable, Equatable {
  /// When the iteration asked for the pause of its internal snapshot.
  public var started: SimTime
  /// When the non-leaf coalesce of the new hidden parent started.
  public var coalesceStarted: SimTime
  public var ended: SimTime
  /// The leaf's physical size before the snapshot and after the coalesce (what the tracker is fed).
  public var sizeBefore: UInt64
  public var sizeAfter: UInt64
  /// Payload the coalesce copied.
  public var bytesCopied: UInt64
}

/// One GC operation (a non-leaf coalesce, or a leaf attempt with everything it did).
public struct GCOperation: Sendable, Equatable {
  public enum Kind: String, Sendable { case coalesce, leaf }
  public var kind: Kind
  /// The coalesced hidden node, or the leaf's VDI.
  public var target: String
  public var started: SimTime
  public var ended: SimTime
}

/// Pauses of one VDI's tapdisk the SR layer caused (snapshots, GC refreshes, leaf coalesces).
public struct PauseStats: Sendable, Equatable {
  public var vdi: String
  public var count = 0
  public var total = SimTime.zero
  public var max = SimTime.zero
}

/// A change of a VDI's chain depth (`vhd-util query -d` of its leaf), at the time it happened.
public struct DepthSample: Sendable, Equatable {
  public var time: SimTime
  public var depth: Int

  public init(time: SimTime, depth: Int) {
    self.time = time
    self.depth = depth
  }
}

/// One VDI's chain depth over the run.
public struct DepthSeries: Sendable, Equatable {
  public var vdi: String
  /// The depth at attach, then one sample per change.
  public var samples: [DepthSample]

  public init(vdi: String, samples: [DepthSample]) {
    self.vdi = vdi
    self.samples = samples
  }

  public var max: Int { samples.map(\.depth).max() ?? 0 }
  public var final: Int { samples.last?.depth ?? 0 }

  /// The depth averaged over `[first sample, end]` (piecewise constant).
  public func timeAverage(until end: SimTime) -> Double {
    guard let first = samples.first, end > first.time else { return Double(samples.last?.depth ?? 0) }
    var area = 0.0
    for (i, s) in samples.enumerated() {
      let until = i + 1 < samples.count ? samples[i + 1].time : end
      if until > s.time { area += Double(s.depth) * (until - s.time).seconds }
    }
    return area / (end - first.time).seconds
  }
}

/// The SR's physical utilisation (bytes) when it changed.
public struct SpaceSample: Sendable, Equatable {
  public var time: SimTime
  public var bytes: UInt64
}

/// What the storage repository and its garbage collector did in a run over an SR: counts, bytes,
/// pauses, leaf-coalesce outcomes, chain depth and space over time. A plain value: deterministic for
/// a seed, comparable, and flattened into `metrics` for the Experiments layer.
public struct GCResult: Sendable, Equatable {
  /// End of the run (for time averages).
  public var duration = SimTime.zero
  public var counts = GCOperationCounts()
  public var bytesCopied = GCBytesCopied()
  public var leaf = LeafCoalesceResults()
  /// Every GC operation, in the order they ended.
  public var operations: [GCOperation] = []
  /// Per VDI (attach order): every pause the SR layer caused.
  public var pauses: [PauseStats] = []
  /// Chain depth and space over time.
  public var series = GCSeries()
  public var activity = GCActivity()
  /// Coalesce speed samples (bytes per simulated second), in completion order.
  public var speedSamples: [Double] = []
  /// SR operations (snapshot, delete, scan) that failed, with the SR's error.
  public var operationErrors: [String] = []

  public init() {}

  /// The flat view the Experiments layer reads: ``Metric/gcMetrics`` by name (values in bytes,
  /// seconds or counts).
  public var metrics: [String: Double] {
    let pauses = leaf.pauses
    let averages = series.depth.map { $0.timeAverage(until: duration) }
    let leafAttempts = leaf.attempts
    let giveUps = leafAttempts.filter { if case .gaveUp = $0.outcome { true } else { false } }.count
    let values: [(Metric, Double)] = [
      (.gcRuns, Double(counts.runs)),
      (.gcKicks, Double(counts.kicks)),
      (.gcKicksIgnored, Double(counts.kicksIgnored)),
      (.gcGarbageCollected, Double(counts.garbageCollected)),
      (.gcCoalesces, Double(counts.coalesces)),
      (.gcLeafCoalesces, Double(counts.leafCoalesces)),
      (.gcBytesCopied, Double(bytesCopied.total)),
      (.gcBytesCopiedNonLeaf, Double(bytesCopied.nonLeaf)),
      (.gcBytesCopiedLeaf, Double(bytesCopied.leaf)),
      (.gcBusy, activity.busy.seconds),
      (.gcActive, activity.active.seconds),
      (.gcFailedTargets, Double(counts.failedTargets)),
      (.leafAttempts, Double(leafAttempts.count)),
      (.leafIterations, Double(leaf.iterations)),
      (.leafGiveUps, Double(giveUps)),
      (.leafTimeouts, Double(leafAttempts.filter { $0.outcome == .timeout }.count)),
      (.leafNoSpace, Double(leafAttempts.filter { $0.outcome == .noSpace }.count)),
      (.leafNotAllowed, Double(leafAttempts.filter { $0.outcome == .notAllowed }.count)),
      (.leafPauseMax, pauses.max() ?? 0),
      (.leafPauseMean, pauses.isEmpty ? 0 : pauses.reduce(0, +) / Double(pauses.count)),
      (.pauseTotal, self.pauses.reduce(SimTime.zero) { $0 + $1.total }.seconds),
      (.pauseMax, (self.pauses.map(\.max).max() ?? .zero).seconds),
      (.chainDepthMax, Double(series.depth.map(\.max).max() ?? 0)),
      (.chainDepthTimeAverage, averages.isEmpty ? 0 : averages.reduce(0, +) / Double(averages.count)),
      (.chainDepthAfterGC, Double(series.chainDepthAfterGC)),
      (.spacePeak, Double(series.spacePeak)),
      (.spaceFinal, Double(series.space.last?.bytes ?? 0)),
    ]
    return Dictionary(uniqueKeysWithValues: values.map { ($0.0.name, $0.1) })
  }

  /// FNV-1a over every count, time and sample (metric names sorted): equal seeds, equal digests.
  public var digest: UInt64 {
    var h = FNV1a64()
    for (_, v) in metrics.sorted(by: { $0.key < $1.key }) { h.combine(v.bitPattern) }
    for a in leaf.attempts {
      for b in a.vdi.utf8 { h.combine(UInt64(b)) }
      for b in a.outcome.description.utf8 { h.combine(UInt64(b)) }
      for x in [a.started.nanoseconds, a.ended.nanoseconds, a.pause.nanoseconds] {
        h.combine(UInt64(bitPattern: x))
      }
      h.combine(UInt64(a.iterations))
      h.combine(UInt64(a.passes))
      h.combine(a.bytesCopied)
      for s in a.leafSizes { h.combine(s) }
    }
    for p in pauses {
      h.combine(UInt64(p.count))
      h.combine(UInt64(bitPattern: p.total.nanoseconds))
    }
    for d in series.depth {
      for s in d.samples {
        h.combine(UInt64(bitPattern: s.time.nanoseconds))
        h.combine(UInt64(s.depth))
      }
    }
    for s in series.space {
      h.combine(UInt64(bitPattern: s.time.nanoseconds))
      h.combine(s.bytes)
    }
    for s in speedSamples { h.combine(s.bitPattern) }
    for o in operations {
      for b in o.target.utf8 { h.combine(UInt64(b)) }
      h.combine(UInt64(bitPattern: o.started.nanoseconds))
      h.combine(UInt64(bitPattern: o.ended.nanoseconds))
    }
    return h.value
  }
}

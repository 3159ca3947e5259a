// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation

/// Fits an `SSDModel` to a calibration grid (docs/simulation.md#calibration):
///
/// - bandwidth per direction: the most bytes per second any 1 MiB job (sequential or random, any
///   depth) moved — the shared bus of the model;
/// - latency per direction and size class: the queue-depth-1 random job's latency quantile table
///   (`FioResult.latencyQuantiles`: fio's total latency `lat_ns`, submission included, as min,
///   percentiles, max), less the bus transfer time the model adds separately; where the job ran
///   again at the calibration's end (`repeats`), the two runs' tables averaged quantile by quantile,
///   so a device that drifted over the calibration is fitted at its middle, not its start;
/// - queue-depth scaling per direction: each random 4 KiB job's mean latency by Little's law (depth /
///   IOPS) over the depth-1 job's (of its two runs, their mean); channels: the deepest such job's
///   depth (the latency factor, not a count of units, carries the device's parallelism up to
///   there); with the mixed jobs, each direction's factor in the mix and the writes' share in flight
///   (`mixedPoints`);
/// - file system (when the grid has the sparse-file job): the allocating-write latency is the
///   depth-1 random 4 KiB write on a fresh sparse file, less its transfer, and the submission
///   latency (`slat_ns`) of the deepest such job is the time the write holds the file's inode lock
///   and its submitter; the punch time is `punchHole` (timed hole punches), or zero when not
///   measured.
public enum ProfileFit {
  public static func fit(
    _ grid: [FioMeasurement], repeats: [FioMeasurement] = [], capacityBytes: UInt64,
    punchHole: QuantileTable? = nil
  ) throws(CalibrationError) -> SSDModel {
    /// The job's second run, if it had one.
    func again(_ m: FioMeasurement) -> FioResult? {
      repeats.first { $0.job == m.job && $0.result.isWrite == m.result.isWrite }?.result
    }
    func bandwidth(_ write: Bool) throws(CalibrationError) -> Double {
      let best = grid.filter { $0.job.isWrite == write && $0.job.blockBytes == 1 << 20 }.map(
        \.result.bytesPerSecond
      )
      .max()
      guard let best, best > 0 else { throw .missingMeasurement("a 1 MiB \(write ? "write" : "read") job") }
      return best
    }
    let readBandwidth = try bandwidth(false)
    let writeBandwidth = try bandwidth(true)
    func latency(_ write: Bool, _ bw: Double, sparse: Bool = false) throws(CalibrationError)
      -> SizeClassLatency
    {
      var classes: [SizeClassLatency.SizeClass] = []
      for m in grid
      where m.job.isWrite == write && m.job.random && m.job.queueDepth == 1 && m.job.sparse == sparse
        && !m.job.isMixed
      {
        let transfer = Double(m.job.blockBytes) * 1e9 / bw
        let table: QuantileTable
        do {
          var runs = [try QuantileTable(m.result.latencyQuantiles)]
          if let second = again(m) { runs.append(try QuantileTable(second.latencyQuantiles)) }
          let pooled = try QuantileTable.average(runs)
          table = try QuantileTable(
            probabilities: pooled.probabilities,
            nanoseconds: pooled.nanoseconds.map { Swift.max(0, $0 - transfer) })
        } catch { throw .badFioOutput(file: m.job.name, reason: "\(error)") }
        classes.append(.init(bytes: m.job.blockBytes, latency: .empirical(table)))
      }
      guard let latency = SizeClassLatency(classes) else {
        throw .missingMeasurement("a random queue-depth-1 \(write ? "write" : "read") job per block size")
      }
      return latency
    }
    /// The sparse-file jobs' submission latency (fio's `slat_ns`, libaio) at their deepest depth,
    /// per size class; nil when fio recorded none (a psync run). At depth 1 every submission also
    /// pays the notification of an idle device; with I/Os in flight, where the inode lock and the
    /// thread are contended, it does not.
    func allocatingSubmit() throws(CalibrationError) -> SizeClassLatency? {
      var classes: [SizeClassLatency.SizeClass] = []
      let sparse = grid.filter { $0.job.isWrite && $0.job.random && $0.job.sparse }
      for m in sparse
      where !sparse.contains(where: {
        $0.job.blockBytes == m.job.blockBytes && $0.job.queueDepth > m.job.queueDepth
      }) {
        guard let q = m.result.submissionQuantiles, !q.isEmpty else { return nil }
        let table: QuantileTable
        do { table = try QuantileTable(probabilities: q.map(\.p), nanoseconds: q.map(\.ns)) } catch {
          throw .badFioOutput(file: m.job.name, reason: "slat_ns: \(error)")
        }
        classes.append(.init(bytes: m.job.blockBytes, latency: .empirical(table)))
      }
      return SizeClassLatency(classes)
    }
    let read = try latency(false, readBandwidth)
    let write = try latency(true, writeBandwidth)
    var fileSystem: FileSystemAllocation?
    if grid.contains(where: { $0.job.sparse && $0.job.queueDepth == 1 }) {
      fileSystem = FileSystemAllocation(
        allocatingWrite: try latency(true, writeBandwidth, sparse: true),
        allocatingSubmit: try allocatingSubmit(),
        punchHole: punchHole.map { .empirical($0) } ?? .constant(nanoseconds: 0))
    }
    var curves: [[QueueDepthScaling.Point]] = []
    var depthOne: [Double] = []
    for w in [false, true] {
      let small = grid.filter {
        $0.job.isWrite == w && $0.job.random && $0.job.blockBytes == 4096 && !$0.job.sparse && !$0.job.isMixed
          && !$0.job.batched
      }.sorted { $0.job.queueDepth < $1.job.queueDepth }
      guard let one = small.first, one.job.queueDepth == 1, small.count > 1, one.result.iops > 0 else {
        throw .missingMeasurement("random 4 KiB \(w ? "write" : "read") jobs at depth 1 and deeper")
      }
      // Depth 1's mean latency (1 / IOPS) over its runs: the harmonic mean of their IOPS.
      let oneIOPS =
        again(one).map { 2 / (1 / one.result.iops + 1 / Swift.max(1e-9, $0.iops)) } ?? one.result.iops
      depthOne.append(oneIOPS)
      // Mean latency by Little's law (depth / IOPS) over depth 1's.
      curves.append(
        small.map { m in
          .init(
            depth: m.job.queueDepth,
            factor: m.job.queueDepth == 1
              ? 1 : oneIOPS * Double(m.job.queueDepth) / Swift.max(1e-9, m.result.iops))
        })
    }
    guard
      let scaling = QueueDepthScaling(
        read: curves[0], write: curves[1],
        mixed: try mixedPoints(grid, depthOneIOPS: (depthOne[0], depthOne[1])))
    else {
      throw .missingMeasurement("random 4 KiB jobs at distinct depths")
    }
    let channels = scaling.deepest
    return SSDModel(
      read: read, write: write, readBandwidth: readBandwidth, writeBandwidth: writeBandwidth,
      channels: channels, capacityBytes: capacityBytes, fileSystem: fileSystem, queueDepthScaling: scaling,
      batchScaling: try batchScaling(grid, depthOneIOPS: (depthOne[0], depthOne[1])))
  }

  /// The batched jobs' factors (docs/simulation.md#completion-rounds); nil without them. fio collects
  /// a batch whole, so each I/O's mean latency is the round's time: over its direction's depth-1
  /// mean latency (1 / its depth-1 IOPS), that is the factor at the batch's size. A mixed batch
  /// gives both directions' factors and the writes' share of its I/Os.
  static func batchScaling(_ grid: [FioMeasurement], depthOneIOPS: (read: Double, write: Double))
    throws(CalibrationError) -> QueueDepthScaling?
  {
    let batched = grid.filter(\.job.batched)
    guard !batched.isEmpty else { return nil }
    func factor(_ r: FioResult) -> Double {
      r.meanLatencyNs / 1e9 * (r.isWrite ? depthOneIOPS.write : depthOneIOPS.read)
    }
    var curves: [[QueueDepthScaling.Point]] = [[.init(depth: 1, factor: 1)], [.init(depth: 1, factor: 1)]]
    var mixed: [QueueDepthScaling.MixedPoint] = []
    for m in batched.sorted(by: { $0.job.queueDepth < $1.job.queueDepth }) where !m.job.isMixed {
      curves[m.job.isWrite ? 1 : 0].append(.init(depth: m.job.queueDepth, factor: factor(m.result)))
    }
    let missing = { (depth: Int) in "both directions of the batched mixed job at depth \(depth)" }
    for (depth, r, w) in try directions(of: batched.filter(\.job.isMixed), missing: missing) {
      guard r.iops > 0, w.iops > 0 else { throw .missingMeasurement(missing(depth)) }
      mixed.append(
        .init(depth: depth, writeShare: w.iops / (r.iops + w.iops), read: factor(r), write: factor(w)))
    }
    guard let scaling = QueueDepthScaling(read: curves[0], write: curves[1], mixed: mixed) else {
      throw .missingMeasurement("batched random 4 KiB reads and writes at distinct depths above 1")
    }
    return scaling
  }

  /// The mixed jobs' points (docs/simulation.md#queue-depth-scaling), by depth; empty without them.
  /// At depth d with each direction's IOPS x and mean latency L, Little's law puts x·L of each in
  /// flight; their sum differs from d by fio's own time between I/Os, so both latencies are scaled by
  /// d / Σ x·L (as the single-direction factors use depth / IOPS), then divided by that direction's
  /// depth-1 mean latency (1 / its depth-1 IOPS). The write share is x·L of the writes over Σ x·L.
  static func mixedPoints(_ grid: [FioMeasurement], depthOneIOPS: (read: Double, write: Double))
    throws(CalibrationError) -> [QueueDepthScaling.MixedPoint]
  {
    var points: [QueueDepthScaling.MixedPoint] = []
    let mixed = grid.filter { $0.job.isMixed && !$0.job.batched }
    let missing = { (depth: Int) in "both directions of the mixed job at depth \(depth)" }
    for (depth, r, w) in try directions(of: mixed, missing: missing) {
      let readInFlight = r.iops * r.meanLatencyNs / 1e9
      let writeInFlight = w.iops * w.meanLatencyNs / 1e9
      let inFlight = readInFlight + writeInFlight
      guard inFlight > 0, writeInFlight > 0, readInFlight > 0 else {
        throw .badFioOutput(file: r.jobName, reason: "a direction with no I/O in flight")
      }
      let scale = Double(depth) / inFlight
      points.append(
        .init(
          depth: depth, writeShare: writeInFlight / inFlight,
          read: r.meanLatencyNs / 1e9 * scale * depthOneIOPS.read,
          write: w.meanLatencyNs / 1e9 * scale * depthOneIOPS.write))
    }
    return points
  }
}

extension ProfileFit {
  /// Mixed jobs' two directions, by increasing depth; a depth without both throws `missing(depth)`.
  static func directions(of mixed: [FioMeasurement], missing: (Int) -> String) throws(CalibrationError)
    -> [(depth: Int, read: FioResult, write: FioResult)]
  {
    var pairs: [(depth: Int, read: FioResult, write: FioResult)] = []
    for depth in Set(mixed.map(\.job.queueDepth)).sorted() {
      let at = mixed.filter { $0.job.queueDepth == depth }
      guard let r = at.first(where: { !$0.result.isWrite })?.result,
        let w = at.first(where: { $0.result.isWrite })?.result
      else { throw .missingMeasurement(missing(depth)) }
      pairs.append((depth, r, w))
    }
    return pairs
  }
}

extension QuantileTable {
  /// fio's quantiles as (probability, nanoseconds) points.
  init(_ points: [(p: Double, ns: Double)]) throws(Problem) {
    try self.init(probabilities: points.map(\.p), nanoseconds: points.map(\.ns))
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool

/// Whether the device kept its speed through a calibration: the jobs the latency tables come from
/// (random, queue depth 1) run a second time after the rest of the grid, and each pair must agree.
///
/// Why: on a shared or virtual disk the host's other load can slow the device for a minute. One
/// calibration on the project's machine measured random 64 KiB reads at 147 IOPS, a minute before
/// sequential 64 KiB reads ran at 8,863; fitted as it was, that profile would have predicted a
/// device sixty times slower than the one validated minutes later (Reports/validation/NOTES.md).
/// Such a grid is refused rather than fitted (docs/simulation.md#calibration).
public enum CalibrationSteadiness {
  /// The largest ratio of the two mean latencies of a job that still counts as the same device.
  /// On the development VM (4 December 2026, quick grid, other builds running) a job and its repeat
  /// differed by up to 1.41× (random 4 KiB writes, 58.1 and 41.3 µs); the disturbed job above by
  /// sixty times. Twice is well clear of both.
  public static let tolerance = 2.0

  /// The jobs run twice: the grid's random queue-depth-1 jobs.
  public static func repeatedJobs(of grid: [FioJob]) -> [FioJob] {
    grid.filter { $0.random && $0.queueDepth == 1 && !$0.sparse }
  }

  /// Throws `.unsteady` for the first job of `repeats` whose mean latency differs from the same
  /// job's in `grid` by more than `tolerance` either way.
  public static func check(
    grid: [FioMeasurement], repeats: [FioMeasurement], tolerance: Double = tolerance
  ) throws(CalibrationError) {
    for again in repeats {
      guard let first = grid.first(where: { $0.job == again.job }) else {
        throw .missingMeasurement("the first run of \(again.job.name)")
      }
      let a = first.result.meanLatencyNs
      let b = again.result.meanLatencyNs
      guard a > 0, b > 0, max(a, b) / min(a, b) <= tolerance else {
        throw .unsteady(
          job: again.job.name, firstMeanUs: a / 1000, againMeanUs: b / 1000, tolerance: tolerance)
      }
    }
  }

  /// The jobs run three times, the fit taking each one's run of median IOPS: the random 4 KiB jobs
  /// deeper than 1 (plain, mixed and batched), which give the queue-depth and batch scaling.
  ///
  /// Why: a slowdown shorter than the one above can catch one such job and spare its neighbours.
  /// On 8 December 2026 (00:47 UTC) the 70/30 mix at depth 8 ran at 30,200 IOPS, two-thirds of its
  /// 46,300 the evening before, between random reads and writes at depth 8 that ran as fast as then;
  /// fio ran the same mix at 51,222 in the validation's check minutes later, and the profile fitted
  /// from that one run made the model 0.81–0.89 × the real runs at iodepth 8
  /// (Reports/validation/NOTES.md). A slow run is the low one of three unless two of them are.
  public static func throughputJobs(of jobs: [FioJob]) -> [FioJob] {
    jobs.filter { $0.random && $0.blockBytes == 4096 && $0.queueDepth > 1 && !$0.sparse }
  }

  /// One throughput job's runs, each its measurements (a mixed job's two directions, read first),
  /// and the run kept.
  public struct ThroughputRuns: Sendable, Equatable {
    public var job: FioJob
    public var runs: [[FioMeasurement]]
    public var kept: Int

    /// A run's I/Os per second, both directions together.
    public func iops(_ run: Int) -> Double { runs[run].reduce(0) { $0 + $1.result.iops } }
  }

  /// `first` with each throughput job's measurements replaced by those of its median run among
  /// `first` and `again` (each holding every throughput job's measurements, any order), by IOPS
  /// of both directions together; with an even number of runs, the lower middle one. Also returns
  /// every such job's runs, in the order of `first`.
  public static func keepMedians(first: [FioMeasurement], again: [[FioMeasurement]]) -> (
    grid: [FioMeasurement], runs: [ThroughputRuns]
  ) {
    var runs: [ThroughputRuns] = []
    for job in throughputJobs(of: first.map(\.job)) where !runs.contains(where: { $0.job == job }) {
      let all = ([first] + again).map { measured in measured.filter { $0.job == job } }.filter { !$0.isEmpty }
      var entry = ThroughputRuns(job: job, runs: all, kept: 0)
      let order = all.indices.sorted { entry.iops($0) < entry.iops($1) }
      entry.kept = order[(order.count - 1) / 2]
      runs.append(entry)
    }
    var grid: [FioMeasurement] = []
    for m in first {
      guard let entry = runs.first(where: { $0.job == m.job }) else {
        grid.append(m)
        continue
      }
      grid.append(entry.runs[entry.kept].first { $0.result.isWrite == m.result.isWrite } ?? m)
    }
    return (grid, runs)
  }

  /// Of hole-punch timings taken at several moments (`HolePunchTiming`, one batch each), the batch
  /// of median mean; with an even number, the lower middle one.
  ///
  /// Why: one batch of 200 punches carries the minute it ran in. On 8 December 2026 (00:58 UTC) a
  /// batch had p99 1,404 µs and mean 108 µs against 137 and 52 the evening before and 126 and 38
  /// ten minutes earlier; the model then charged a new block 823–851 µs at iodepth 1 where the real
  /// runs took 540–581 (Reports/validation/NOTES.md).
  public static func medianByMean(_ batches: [QuantileTable]) -> QuantileTable? {
    let order = batches.indices.sorted { batches[$0].mean < batches[$1].mean }
    return order.isEmpty ? nil : batches[order[(order.count - 1) / 2]]
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

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
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import Benchmarking

/// A calibration whose latency jobs, run again after the grid, disagree by more than 2× is
/// refused, naming the job and both figures; within that it is fitted.
@Suite struct CalibrationSteadinessTests {
  static func measurement(_ job: FioJob, meanUs: Double) -> FioMeasurement {
    FioMeasurement(
      job: job,
      result: FioResult(
        jobName: job.name, isWrite: job.isWrite, iops: 1e6 / meanUs, bytesPerSecond: 0,
        meanLatencyNs: meanUs * 1000, latencyQuantiles: []))
  }

  @Test func repeatsTheLatencyJobs() {
    for quick in [false, true] {
      let jobs = CalibrationSteadiness.repeatedJobs(of: FioJob.grid(quick: quick))
      #expect(
        jobs.map(\.name) == [
          "randread-4k-qd1", "randread-64k-qd1", "randread-1024k-qd1", "randwrite-4k-qd1",
          "randwrite-64k-qd1", "randwrite-1024k-qd1",
        ])
    }
    #expect(CalibrationSteadiness.repeatedJobs(of: FioJob.allocationJobs).isEmpty)
  }

  @Test func refusesAJobThatChangedSpeed() throws {
    let jobs = FioJob.grid(quick: true)
    let grid = jobs.enumerated().map { Self.measurement($1, meanUs: 50 + Double($0)) }
    let repeated = CalibrationSteadiness.repeatedJobs(of: jobs)
    func again(_ factor: (FioJob) -> Double) -> [FioMeasurement] {
      repeated.map { job in
        let first = grid.first { $0.job == job }!.result.meanLatencyNs / 1000
        return Self.measurement(job, meanUs: first * factor(job))
      }
    }
    // Within 2× either way: fitted.
    try CalibrationSteadiness.check(grid: grid, repeats: again { $0.isWrite ? 1.9 : 1 / 1.9 })
    // The 64 KiB random reads sixty times slower the second time (as one run on this machine).
    let slow = try #require(repeated.first { $0.name == "randread-64k-qd1" })
    let first = grid.first { $0.job == slow }!.result.meanLatencyNs / 1000
    #expect(
      throws: CalibrationError.unsteady(
        job: slow.name, firstMeanUs: first, againMeanUs: first * 60, tolerance: 2)
    ) {
      try CalibrationSteadiness.check(grid: grid, repeats: again { $0 == slow ? 60 : 1 })
    }
    // Faster the second time counts too.
    #expect(throws: CalibrationError.self) {
      try CalibrationSteadiness.check(grid: grid, repeats: again { $0 == slow ? 1 / 2.1 : 1 })
    }
    // A repeat without its first run is a missing measurement, not a pass.
    #expect(throws: CalibrationError.missingMeasurement("the first run of randread-64k-qd1")) {
      try CalibrationSteadiness.check(grid: grid.filter { $0.job != slow }, repeats: again { _ in 1 })
    }
    let message = CalibrationError.unsteady(
      job: "randread-64k-qd1", firstMeanUs: 112.8, againMeanUs: 6_800, tolerance: 2
    )
    .description
    #expect(
      message.contains("randread-64k-qd1") && message.contains("112.8 µs") && message.contains("6800.0 µs"))
    #expect(message.contains("--allow-unsteady"))
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
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

  @Test func runsTheDeepRandom4KiBJobsThreeTimes() {
    let first =
      FioJob.grid(quick: false) + FioJob.mixedJobs(quick: false) + FioJob.batchedJobs(quick: false)
      + FioJob.allocationJobs
    #expect(
      CalibrationSteadiness.throughputJobs(of: first).map(\.name) == [
        "randread-4k-qd8", "randread-4k-qd32", "randwrite-4k-qd8", "randwrite-4k-qd32",
        "randrw70-4k-qd8", "randrw70-4k-qd32", "batch-randread-4k-qd8", "batch-randwrite-4k-qd8",
        "batch-randrw70-4k-qd8", "batch-randread-4k-qd32", "batch-randwrite-4k-qd32",
        "batch-randrw70-4k-qd32",
      ])
  }

  /// A mixed job's run that a slowdown caught is passed over for the median of three, both
  /// directions from the same run; other jobs keep their one run, in place.
  @Test func keepsEachThroughputJobsMedianRun() throws {
    let mixed = FioJob(isWrite: false, random: true, blockBytes: 4096, queueDepth: 8, readPercent: 70)
    let reads = FioJob(isWrite: false, random: true, blockBytes: 4096, queueDepth: 8)
    let latency = FioJob(isWrite: false, random: true, blockBytes: 4096, queueDepth: 1)
    func run(_ job: FioJob, iops: Double, writes: Double? = nil) -> [FioMeasurement] {
      var out = [Self.measurement(job, meanUs: 1e6 / iops)]
      if let writes {
        var w = Self.measurement(job, meanUs: 1e6 / writes)
        w.result.isWrite = true
        out.append(w)
      }
      return out
    }
    let first =
      run(latency, iops: 15_000) + run(mixed, iops: 21_165, writes: 9_035) + run(reads, iops: 48_000)
    let second = run(mixed, iops: 32_436, writes: 13_894) + run(reads, iops: 40_000)
    let third = run(reads, iops: 50_000) + run(mixed, iops: 33_000, writes: 14_500)
    let kept = CalibrationSteadiness.keepMedians(first: first, again: [second, third])
    #expect(kept.grid.map(\.job) == [latency, mixed, mixed, reads])
    #expect(kept.grid[0] == first[0])
    // The mix: 30,200, 46,330 and 47,500 I/Os a second; the median is the second run, both directions.
    #expect(kept.grid[1] == second[0] && kept.grid[2] == second[1])
    // The reads: 48,000, 40,000 and 50,000; the median is the first run.
    #expect(kept.grid[3] == first[3])
    #expect(kept.runs.map(\.job) == [mixed, reads])
    #expect(kept.runs[0].kept == 1 && kept.runs[1].kept == 0)
    #expect(kept.runs[0].runs.map { $0.count } == [2, 2, 2])
    #expect(abs(kept.runs[0].iops(0) - 30_200) < 1e-6)
    let yaml = DiskCalibrator.profileYAML(
      name: "t", target: "/dev/null", grid: kept.grid, throughput: kept.runs, model: .nvmeDatacenter)
    let row = yaml.split(separator: "\n").first { $0.hasPrefix("# randrw70-4k-qd8 ") && $0.contains("kept") }
    #expect(row?.hasSuffix(" 30200 · 46330 · 47500  kept 46330") == true)
  }

  /// Of three punch batches, the one of median mean is kept, whatever the order; none of none.
  @Test func keepsThePunchBatchOfMedianMean() throws {
    func batch(_ low: Double, _ high: Double) throws -> QuantileTable {
      try QuantileTable(probabilities: [0, 1], nanoseconds: [low, high])
    }
    let calm = try batch(4_000, 100_000)
    let stalled = try batch(5_000, 1_400_000)
    let quiet = try batch(3_000, 70_000)
    for order in [[calm, stalled, quiet], [stalled, quiet, calm], [quiet, calm, stalled]] {
      #expect(CalibrationSteadiness.medianByMean(order) == calm)
    }
    #expect(CalibrationSteadiness.medianByMean([stalled, quiet]) == quiet)
    #expect(CalibrationSteadiness.medianByMean([]) == nil)
    let yaml = DiskCalibrator.profileYAML(
      name: "t", target: "/dev/null", grid: [], punchBatches: [calm, stalled, quiet], model: .nvmeDatacenter)
    #expect(yaml.contains("hole punches, 3 batches (mean us): 52.0 · 702.5 · 36.5; kept 52.0"))
  }
}

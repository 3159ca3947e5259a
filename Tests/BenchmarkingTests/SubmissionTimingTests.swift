// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import Testing

@testable import Benchmarking

/// docs/simulation.md#engine-cpu-time: the thread's time in io_submit per I/O, from fio's slat.
@Suite struct SubmissionTimingTests {
  func measurement(_ job: FioJob, isWrite: Bool, iops: Double, slatNs: Double?) -> FioMeasurement {
    FioMeasurement(
      job: job,
      result: FioResult(
        jobName: job.name, isWrite: isWrite, iops: iops, bytesPerSecond: iops * 4096, meanLatencyNs: 100_000,
        latencyQuantiles: [(0, 1), (1, 2)], meanSubmissionNs: slatNs))
  }

  /// The mixed random 4 KiB job at its lowest depth, 8: reads 21,000 IOPS at 14 µs, writes 9,000 at
  /// 17 µs: (21,000 × 14 + 9,000 × 17) / 30,000 = 14.9 µs. Without it (a quick grid) the one at 32;
  /// unmixed jobs do not count; none, or no slat: zero.
  @Test func isTheMixedJobsSlatWeightedByIOPS() {
    let mixed = FioJob(isWrite: false, random: true, blockBytes: 4096, queueDepth: 8, readPercent: 70)
    let other = FioJob(isWrite: false, random: true, blockBytes: 4096, queueDepth: 32, readPercent: 70)
    let reads = FioJob(isWrite: false, random: true, blockBytes: 4096, queueDepth: 8)
    let grid = [
      measurement(mixed, isWrite: false, iops: 21_000, slatNs: 14_000),
      measurement(mixed, isWrite: true, iops: 9_000, slatNs: 17_000),
      measurement(other, isWrite: false, iops: 50_000, slatNs: 90_000),
      measurement(reads, isWrite: false, iops: 30_000, slatNs: 90_000),
    ]
    #expect(SubmissionTiming.perIO(grid) == .nanoseconds(14_900))
    #expect(SubmissionTiming.perIO(Array(grid.suffix(2))) == .nanoseconds(90_000))
    #expect(SubmissionTiming.perIO(Array(grid.suffix(1))) == .zero)
    #expect(SubmissionTiming.perIO([measurement(mixed, isWrite: false, iops: 1, slatNs: nil)]) == .zero)
  }
}

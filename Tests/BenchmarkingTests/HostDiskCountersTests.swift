// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import Benchmarking

/// The host device's counters that `vhdsim validate` reads around its real runs, and the figures made
/// from them.
@Suite struct HostDiskCountersTests {
  /// A stat line as Linux 6.1 wrote it for a virtio disk (17 fields): reads are field 1, writes
  /// field 5, the weighted milliseconds in the queue field 11, the reads' and the writes' own
  /// milliseconds fields 4 and 8.
  @Test func parsesTheKernelsStatLine() throws {
    let line =
      "   18245     3611  1355062    11019   145688    87418  5498712   138826        0   122280"
      + "   166070        0        0        0        0    14227    16224\n"
    #expect(
      HostDiskCounters.parse(line)
        == HostDiskCounters(reads: 18245, writes: 145688, queueMs: 166070, readMs: 11019, writeMs: 138826))
    // The 11 fields of kernels before 4.18 are enough.
    #expect(HostDiskCounters.parse("1 0 8 0 2 0 16 0 0 3 4")?.queueMs == 4)
    #expect(HostDiskCounters.parse("1 0 8 0 2 0 16 0 0 3") == nil)
    #expect(HostDiskCounters.parse("1 0 8 0 x 0 16 0 0 3 4") == nil)
    #expect(HostDiskCounters.parse("") == nil)
    #expect(HostDiskCounters.of(path: "/no/such/folder") == nil)
  }

  @Test func differencesRefuseCountersThatWentBack() {
    let a = HostDiskCounters(reads: 10, writes: 5, queueMs: 7, readMs: 3, writeMs: 2)
    let b = HostDiskCounters(reads: 40, writes: 9, queueMs: 20, readMs: 11, writeMs: 6)
    #expect(b.since(a) == HostDiskCounters(reads: 30, writes: 4, queueMs: 13, readMs: 8, writeMs: 4))
    #expect(b.since(a)?.ios == 34)
    #expect(a.since(b) == nil)
    #expect(HostDiskCounters(reads: 40, writes: 4, queueMs: 20).since(a) == nil)
    #expect(HostDiskCounters(reads: 40, writes: 9, queueMs: 20, readMs: 2, writeMs: 6).since(a) == nil)
  }

  /// Summed over runs: I/Os per request, the queue's time-average (Little: queue-milliseconds over
  /// the runs' time), the time per I/O (queue-milliseconds over I/Os), and per direction the
  /// direction's milliseconds over its I/Os.
  @Test func loadOverRuns() throws {
    let load = try #require(
      HostDiskLoad(runs: [
        (HostDiskCounters(reads: 100, writes: 50, queueMs: 30, readMs: 20, writeMs: 9), 60, 0.01),
        (HostDiskCounters(reads: 200, writes: 50, queueMs: 45, readMs: 25, writeMs: 6), 140, 0.02),
      ]))
    #expect(
      load == HostDiskLoad(iosPerRequest: 2, meanQueue: 2.5, usPerIO: 187.5, usPerRead: 150, usPerWrite: 150))
    #expect(
      HostDiskLoad(runs: [(HostDiskCounters(reads: 1, writes: 0, queueMs: 0), 10, 1), (nil, 10, 1)]) == nil)
    #expect(HostDiskLoad(runs: []) == nil)
    #expect(HostDiskLoad(runs: [(HostDiskCounters(reads: 0, writes: 0, queueMs: 0), 10, 1)])?.usPerIO == 0)
  }
}

/// The calibrated profile's comment table gives the device's time per I/O and mean queue beside fio's
/// figures where the kernel counted them, and leaves them out where it did not (a job that laid its
/// file out first).
@Suite struct CalibrationDeviceColumnsTests {
  @Test func profileCommentsCarryTheDevicesFigures() {
    let jobs = FioJob.grid(quick: true)
    func measured(_ job: FioJob, _ host: HostDiskLoad?) -> FioMeasurement {
      FioMeasurement(
        job: job,
        result: FioResult(
          jobName: job.name, isWrite: job.isWrite, iops: 8000, bytesPerSecond: 32.8e6, meanLatencyNs: 111_800,
          latencyQuantiles: []),
        hostDisk: host)
    }
    let yaml = DiskCalibrator.profileYAML(
      name: "t", target: "/t",
      grid: [
        measured(jobs[0], nil),
        measured(jobs[1], HostDiskLoad(iosPerRequest: 1, meanQueue: 0.62, usPerIO: 95.14)),
      ],
      model: .nvmeDatacenter)
    let rows = yaml.split(separator: "\n").filter {
      $0.hasPrefix("# \(jobs[0].name) ") || $0.hasPrefix("# \(jobs[1].name) ")
    }
    #expect(rows.count == 2)
    #expect(rows.first { $0.hasPrefix("# \(jobs[0].name) ") }?.hasSuffix("111.8") == true)
    #expect(
      rows.first { $0.hasPrefix("# \(jobs[1].name) ") }?.hasSuffix("111.8       95.1          0.62") == true)
    #expect(yaml.contains("device us  device queue"))
  }
}

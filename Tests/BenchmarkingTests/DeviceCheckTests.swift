// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import Testing

@testable import Benchmarking

/// The device check (docs/simulation.md#the-device-check): fio's job is the validation's mix, the
/// profile runs the same job, and the report divides their ratio out of each case.
struct DeviceCheckTests {
  @Test func theJobIsTheValidationsMix() {
    #expect(DeviceCheck.job(iodepth: 8, readFraction: 0.7).name == "randrw70-4k-qd8")
    #expect(DeviceCheck.job(iodepth: 1, readFraction: 1).name == "randread-4k-qd1")
    #expect(DeviceCheck.job(iodepth: 2, readFraction: 0).name == "randwrite-4k-qd2")
    #expect(DeviceCheck.job(iodepth: 4, readFraction: 0.333).readPercent == 33)
  }

  /// A mixed job's two directions add up; the mean latency is weighted by each direction's IOPS.
  @Test func fioFiguresAddBothDirections() {
    func m(_ isWrite: Bool, iops: Double, meanNs: Double) -> FioMeasurement {
      FioMeasurement(
        job: DeviceCheck.job(iodepth: 1, readFraction: 0.7),
        result: FioResult(
          jobName: "j", isWrite: isWrite, iops: iops, bytesPerSecond: iops * 4096, meanLatencyNs: meanNs,
          latencyQuantiles: [(0.5, meanNs)]),
        hostDisk: HostDiskLoad(iosPerRequest: 1, meanQueue: 0.9, usPerIO: 70))
    }
    let f = DeviceCheck.figures([m(false, iops: 7000, meanNs: 100_000), m(true, iops: 3000, meanNs: 50_000)])
    #expect(f.iops == 10_000)
    #expect(abs(f.meanUs - 85) < 1e-9)
    #expect(f.device?.usPerIO == 70 && f.device?.meanQueue == 0.9)
  }

  /// Fixed 100 µs reads and 50 µs writes, one channel, a bus too fast to matter: at depth 1 the 70/30
  /// mix takes 85 µs an I/O on average (11,765 IOPS), all reads 100 µs (10,000), all writes 50 µs.
  @Test func theProfileRunsTheSameJob() {
    let model = SSDModel(
      readLatency: .microseconds(100), writeLatency: .microseconds(50), readBandwidth: 4.096e12,
      writeBandwidth: 4.096e12, channels: 1, capacityBytes: 1 << 30)
    let profile = DiskProfile(name: "fixed", model: model)
    let mixed = DeviceCheck.predicted(profile, iodepth: 1, readFraction: 0.7)
    #expect(abs(mixed.meanUs - 85) < 0.5, "\(mixed.meanUs)")
    #expect(abs(mixed.iops - 1e6 / 85) / (1e6 / 85) < 0.01)
    let reads = DeviceCheck.predicted(profile, iodepth: 1, readFraction: 1)
    #expect(abs(reads.iops - 10_000) < 1 && abs(reads.meanUs - 100) < 0.01)
    let writes = DeviceCheck.predicted(profile, iodepth: 1, readFraction: 0)
    #expect(abs(writes.iops - 20_000) < 2 && abs(writes.meanUs - 50) < 0.01)
  }

  /// The median of the rounds; the ratio fio / profile; a case's simulated / real IOPS times that
  /// ratio in the report, and the findings' sentence.
  @Test func driftIsDividedOutOfEachCase() throws {
    let check = DeviceCheck(
      iodepth: 8, readFraction: 0.7, iopsFio: [40_000, 36_000, 44_000, 30_000],
      meanUsFio: [200, 220, 180, 260],
      deviceFio: [
        HostDiskLoad(iosPerRequest: 1, meanQueue: 5, usPerIO: 100),
        HostDiskLoad(iosPerRequest: 1, meanQueue: 6, usPerIO: 120),
      ], iopsProfile: 47_500, meanUsProfile: 168)
    #expect(check.iopsFioMedian == 38_000)
    #expect(check.deviceUsPerIOFio == 110 && check.deviceQueueFio == 5.5)
    #expect(abs(check.ratio - 0.8) < 1e-12)
    let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(check)) as? [String: Any]
    #expect(encoded?["runs"] as? Int == 4 && encoded?["iops_fio"] as? Double == 38_000)
    #expect(
      encoded?["iops_fio_min"] as? Double == 30_000 && encoded?["mean_latency_fio_us"] as? Double == 210)
    #expect(encoded?["host_disk_us_per_io_fio"] as? Double == 110)
    // Without counters the two keys are absent.
    var uncounted = check
    uncounted.deviceFio = []
    let plain = try JSONSerialization.jsonObject(with: JSONEncoder().encode(uncounted)) as? [String: Any]
    #expect(plain?["host_disk_us_per_io_fio"] == nil && plain?["host_disk_mean_queue_fio"] == nil)
    // A case 25 % fast against the loop is exactly the device's drift.
    let c = Self.sampleCase(iodepth: 8, realIOPS: 20_000, simulatedIOPS: 25_000)
    #expect(abs(c.iopsRatio - 1.25) < 1e-9)
    let report = ValidationReport(profile: "p", machine: "m", cases: [c], deviceChecks: [check])
    #expect(abs(try #require(report.driftAdjustedRatio(c)) - 1) < 1e-12)
    #expect(
      report.deviceCheckFindings.contains("38000 IOPS at iodepth 8 against the profile's 47500 (0.80 ×)"))
    #expect(report.deviceCheckFindings.contains("the cases lie at 1.00 to 1.00, 1 of 1 within 10 %"))
    // A case at another iodepth has no check to divide by.
    let other = Self.sampleCase(iodepth: 1, realIOPS: 1000, simulatedIOPS: 1000)
    #expect(report.driftAdjustedRatio(other) == nil)
    #expect(ValidationReport(profile: "p", machine: "m", cases: [c]).deviceCheckFindings.isEmpty)
  }

  /// A one-request case whose sides made the given IOPS.
  static func sampleCase(iodepth: Int, realIOPS: Double, simulatedIOPS: Double) -> ValidationCase {
    func run(_ iops: Double) -> ChainRunResult {
      ChainRunResult(
        requests: [.init(isWrite: false, physicalIOs: 1, latencyNs: 100_000)], elapsedSeconds: 1 / iops,
        physicalIOs: 1, threadBusySeconds: 1e-5, threadWaitingSeconds: 0.5 / iops, submitSeconds: 1e-6)
    }
    return ValidationCase(
      depth: 1, iodepth: iodepth, readFraction: 0.7, real: [run(realIOPS)], simulated: run(simulatedIOPS))
  }
}

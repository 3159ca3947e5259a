import Foundation
import Pool
import Simulation
import Testing

// SPDX-License-Identifier: GPL-3.0-or-later
@testable import Benchmarking

/// docs/simulation.md#engine-cpu-time: the tapdisk loop's own time per I/O beyond fio's.
@Suite struct LoopOverheadTimingTests {
  /// 1 s for 20,000 requests in 21,000 I/Os (47.619 µs an I/O), fio at 25,000 IOPS (40 µs), the
  /// engine 1 µs + 0.5 µs a level, one level (1.5 µs a request, 1.4286 µs an I/O): 6.190 µs.
  @Test func isTheLoopsTimeBeyondFiosLessTheEngine() {
    let cpu = EngineCPUCost(perRequest: .microseconds(1), perLevel: .nanoseconds(500))
    let t = LoopOverheadTiming.perIO(
      elapsedSeconds: 1, requests: 20_000, physicalIOs: 21_000, fioReadIOPS: 25_000, engineCPU: cpu)
    #expect(t == .nanoseconds(6_190))
    // A loop no slower than fio costs nothing more (not a negative time).
    #expect(
      LoopOverheadTiming.perIO(
        elapsedSeconds: 0.5, requests: 20_000, physicalIOs: 20_000, fioReadIOPS: 25_000, engineCPU: cpu)
        == .zero)
    #expect(
      LoopOverheadTiming.perIO(
        elapsedSeconds: 1, requests: 10, physicalIOs: 0, fioReadIOPS: 25_000, engineCPU: cpu) == .zero)
    // The device itself took 4 µs an I/O longer in the loop's run than in fio's: 2.190 µs remain;
    // 1 µs shorter: 7.190 µs.
    #expect(
      LoopOverheadTiming.perIO(
        elapsedSeconds: 1, requests: 20_000, physicalIOs: 21_000, fioReadIOPS: 25_000, engineCPU: cpu,
        deviceDriftSeconds: 4e-6) == .nanoseconds(2_190))
    #expect(
      LoopOverheadTiming.perIO(
        elapsedSeconds: 1, requests: 20_000, physicalIOs: 21_000, fioReadIOPS: 25_000, engineCPU: cpu,
        deviceDriftSeconds: -1e-6) == .nanoseconds(7_190))
  }

  /// The calibrator runs the real loop beside its file: against a fio that took no time at all the
  /// loop's whole time per I/O remains (the device's latency, over a microsecond), the engine's
  /// figures are kept, and the loop's folder is gone afterwards.
  @Test func calibratorMeasuresItWithTheRealLoop() throws {
    let folder = QuickValidation.folder("loop-overhead")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let calibrator = DiskCalibrator(target: folder, sizeBytes: 1 << 20, quick: true)
    do { try DiskCalibrator.probeDirectIO(file: calibrator.file) } catch {
      print("skipped: \(folder) refuses O_DIRECT (\(error))")
      return
    }
    let job = FioJob(isWrite: false, random: true, blockBytes: 4096, queueDepth: 1)
    let instant = FioMeasurement(
      job: job,
      result: FioResult(
        jobName: job.name, isWrite: false, iops: 1e12, bytesPerSecond: 4096e12, meanLatencyNs: 0.001,
        latencyQuantiles: [(0, 0.001), (1, 0.001)]))
    let engine = EngineCPUCost(perRequest: .nanoseconds(100), perLevel: .nanoseconds(10))
    let (cost, loop) = try calibrator.measureLoopOverhead(engineCPU: engine, grid: [instant], repeats: [])
    #expect(cost.perRequest == engine.perRequest && cost.perLevel == engine.perLevel)
    #expect(cost.perIO > .microseconds(1) && cost.perIO < .milliseconds(10))
    #expect(loop.perIO == cost.perIO && loop.loopUsPerIO > 1 && loop.fioDeviceUsPerIO == nil)
    #expect(loop.summary.hasPrefix("io_us: the loop ") && loop.summary.contains(", fio 0.0"))
    #expect(!FileManager.default.fileExists(atPath: folder + "/vhdsim-calibrate-loop"))
    #expect(throws: CalibrationError.missingMeasurement("a random 4 KiB read job at depth 1")) {
      try calibrator.measureLoopOverhead(engineCPU: engine, grid: [], repeats: [])
    }
  }
}

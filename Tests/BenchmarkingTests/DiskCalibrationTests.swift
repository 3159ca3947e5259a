import Foundation
import Pool
import Simulation
import Testing
import VHD

// SPDX-License-Identifier: GPL-3.0-or-later
@testable import Benchmarking

@Suite struct DiskCalibrationTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Fixtures")

  func fixture(_ name: String) throws -> [FioResult] {
    let data = try Data(contentsOf: Self.fixtures.appendingPathComponent(name))
    return try FioResult.parse(json: data, file: name)
  }

  /// Fixtures made here with fio 3.33 (`--output-format=json`, psync, O_DIRECT, 1 s on /dev/vda).
  @Test func parsesFioJSON() throws {
    let reads = try fixture("fio-randread-4k-qd1.json")
    #expect(reads.count == 1)
    let r = try #require(reads.first)
    #expect(r.jobName == "randread-4k-qd1" && !r.isWrite)
    #expect(r.iops == 5780.658026)
    #expect(r.bytesPerSecond == 23_677_575)
    #expect(r.meanLatencyNs == 172265.773715)
    // min, fio's 17 percentiles, max.
    #expect(r.latencyQuantiles.count == 19)
    #expect(r.latencyQuantiles.first! == (0, 37_348))
    #expect(r.latencyQuantiles.last! == (1, 72_115_469))
    #expect(r.latencyQuantiles.contains { $0.p == 0.5 && $0.ns == 58_112 })
    #expect(r.latencyQuantiles.contains { $0.p == 0.99 && $0.ns == 2_310_144 })
    let w = try #require(try fixture("fio-randwrite-4k-qd4.json").first)
    #expect(w.isWrite && w.iops == 26193.137255 && w.bytesPerSecond == 107_287_090)
  }

  @Test func rejectsWhatIsNotFioOutput() {
    #expect(throws: CalibrationError.self) {
      try FioResult.parse(json: Data("{\"jobs\": 3}".utf8), file: "x")
    }
    #expect(throws: CalibrationError.self) { try FioResult.parse(json: Data("not json".utf8), file: "x") }
  }

  /// Synthetic grid from a known device: lognormal latency (median 100 µs, σ 0.4) at depth 1; six
  /// depth-1 units' IOPS at depth 32 (6 / mean service); 1 MiB jobs at 800/400 MB/s. The fit must
  /// give them back.
  /// The synthetic device's completion-latency quantiles: `truth` plus `transfer` ns.
  func quantiles(_ truth: LatencyDistribution, transfer: Double) -> [(p: Double, ns: Double)] {
    let percentiles = [1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9]
    var q: [(p: Double, ns: Double)] = [(0, truth.value(at: 1e-6) + transfer)]
    q += percentiles.map { (p: $0 / 100, ns: truth.value(at: $0 / 100) + transfer) }
    q.append((1, truth.value(at: 1 - 1e-6) + transfer))
    return q
  }

  func syntheticGrid(_ truth: LatencyDistribution) -> [FioMeasurement] {
    var grid: [FioMeasurement] = []
    for isWrite in [false, true] {
      let bw = isWrite ? 400e6 : 800e6
      for kib: UInt64 in [4, 64, 1024] {
        let transfer = Double(kib << 10) * 1e9 / bw
        // The synthetic device's QD1 completion latency: the truth plus the transfer.
        let q = quantiles(truth, transfer: transfer)
        let mean = truth.mean + transfer
        for qd in [1, 32] {
          let job = FioJob(isWrite: isWrite, random: true, blockBytes: kib << 10, queueDepth: qd)
          let iops = qd == 1 ? 1e9 / mean : 6 * 1e9 / mean
          grid.append(
            FioMeasurement(
              job: job,
              result: FioResult(
                jobName: job.name, isWrite: isWrite, iops: iops,
                bytesPerSecond: kib == 1024 ? bw : iops * Double(kib << 10),
                meanLatencyNs: mean, latencyQuantiles: q)))
        }
      }
    }
    return grid
  }

  /// The sparse-file job gives the allocating-write table back (less its transfer) and the punch
  /// table is the one passed; without that job there is no file-system section.
  @Test func fitRecoversTheFileSystemsAllocationCosts() throws {
    let device = LatencyDistribution.lognormal(median: 100_000, sigma: 0.4)
    let allocation = LatencyDistribution.lognormal(median: 180_000, sigma: 0.8)
    var grid = syntheticGrid(device)
    #expect(try ProfileFit.fit(grid, capacityBytes: 1 << 30).fileSystem == nil)
    let job = FioJob.allocationJobs[0]
    #expect(job.name == "alloc-randwrite-4k-qd1" && job.sparse && job.queueDepth == 1)
    #expect(
      job.arguments(file: "/x", sizeBytes: 1 << 30, seconds: 1, rampSeconds: 0).contains("--fallocate=none"))
    let transfer = 4096 * 1e9 / 400e6
    grid.append(
      FioMeasurement(
        job: job,
        result: FioResult(
          jobName: job.name, isWrite: true, iops: 1e9 / (allocation.mean + transfer),
          bytesPerSecond: 4096 * 1e9 / (allocation.mean + transfer),
          meanLatencyNs: allocation.mean + transfer,
          latencyQuantiles: quantiles(allocation, transfer: transfer))))
    let punch = try QuantileTable(probabilities: [0, 0.5, 1], nanoseconds: [5_000, 9_000, 70_000])
    let m = try ProfileFit.fit(grid, capacityBytes: 1 << 30, punchHole: punch)
    let fs = try #require(m.fileSystem)
    #expect(fs.punchHole == .empirical(punch))
    #expect(fs.allocatingWrite.classes.map(\.bytes) == [4096])
    for p in [0.1, 0.5, 0.9, 0.99] {
      let fitted = fs.allocatingWrite.value(bytes: 4096, at: p)
      #expect(abs(fitted - allocation.value(at: p)) / allocation.value(at: p) < 1e-6)
    }
    // The plain fit is unchanged by the extra job (scaling from the written file's jobs).
    #expect(m.channels == 32)
    #expect(abs((m.queueDepthScaling?.factor(isWrite: true, inFlight: 32) ?? 0) - 32.0 / 6) < 1e-9)
  }

  @Test func fitRecoversKnownParameters() throws {
    let truth = LatencyDistribution.lognormal(median: 100_000, sigma: 0.4)
    let grid = syntheticGrid(truth)
    let m = try ProfileFit.fit(grid, capacityBytes: 1 << 30)
    // Six units' worth of IOPS at depth 32: the mean latency there is 32 / 6 of depth 1's, and the
    // device accepts 32 at once.
    let scaling = try #require(m.queueDepthScaling)
    for curve in [scaling.read, scaling.write] {
      #expect(curve.map(\.depth) == [1, 32] && curve[0].factor == 1)
      #expect(abs(curve[1].factor - 32.0 / 6) < 1e-9)
    }
    #expect(m.channels == 32)
    #expect(m.readBandwidth == 800e6 && m.writeBandwidth == 400e6)
    for latency in [m.read, m.write] {
      #expect(latency.classes.map(\.bytes) == [4096, 65_536, 1 << 20])
      for c in latency.classes {
        for p in [0.1, 0.5, 0.9, 0.99] {
          let fitted = c.latency.value(at: p)
          let expected = truth.value(at: p)
          #expect(abs(fitted - expected) / expected < 1e-6, "p\(p) at \(c.bytes): \(fitted) vs \(expected)")
        }
      }
    }
  }

  @Test func fitNamesWhatIsMissing() {
    #expect(throws: CalibrationError.missingMeasurement("a 1 MiB read job")) {
      try ProfileFit.fit([], capacityBytes: 1 << 30)
    }
  }

  @Test func gridIsTheIssuesGrid() {
    let full = FioJob.grid(quick: false)
    #expect(full.count == 2 * 2 * 3 * 3)
    #expect(Set(full.map(\.blockBytes)) == [4096, 65_536, 1 << 20])
    #expect(Set(full.map(\.queueDepth)) == [1, 8, 32])
    let args = full[0].arguments(file: "/x", sizeBytes: 1 << 30, seconds: 2, rampSeconds: 0)
    #expect(
      args.contains("--direct=1") && args.contains("--output-format=json") && args.contains("--rw=randread"))
  }

  @Test func checksNameTheProblem() throws {
    #expect(
      CalibrationError.openFailure(path: "/x", errno: EINVAL) == .directIORefused(path: "/x", errno: EINVAL))
    #expect(
      CalibrationError.openFailure(path: "/x", errno: EACCES) == .notWritable(path: "/x", errno: EACCES))
    #expect(throws: CalibrationError.self) {
      try DiskCalibrator.checkTarget(file: "/proc/vhdsim-no/such/file", sizeBytes: 1 << 20)
    }
    #expect {
      try DiskCalibrator.checkTarget(
        file: NSTemporaryDirectory() + "/vhdsim-too-big", sizeBytes: UInt64.max / 2)
    } throws: { e in
      if case .tooSmall = e as? CalibrationError { return true }
      return false
    }
  }

  /// tmpfs refused O_DIRECT until Linux 6.6; on such a kernel the probe must say so. Newer kernels
  /// accept it (this machine's 6.18 does), and then the probe must pass.
  @Test func tmpfsDirectIOProbe() throws {
    guard FileManager.default.fileExists(atPath: "/dev/shm") else { return }
    let file = "/dev/shm/vhdsim-odirect-\(getpid())"
    let outcome = Result { () throws(CalibrationError) in try DiskCalibrator.probeDirectIO(file: file) }
    switch outcome {
    case .success:
      #expect(!FileManager.default.fileExists(atPath: file), "the probe removes the file it created")
    case .failure(let e): #expect(e == .directIORefused(path: file, errno: EINVAL))
    }
  }
}

/// `HolePunchTiming` times the engine's own zeroings of a new block at a file's end: after each
/// allocation the old footer reads as zeros, the new one is in place and the file ends after it.
@Suite struct HolePunchTimingTests {
  @Test func timesTheEnginesZeroingOfNewBlocksAtTheEnd() throws {
    let base = ProcessInfo.processInfo.environment["VHDSIM_BENCH_DIR"] ?? NSTemporaryDirectory()
    let file = (base as NSString).appendingPathComponent("vhdsim-punch-test-\(getpid())")
    defer { unlink(file) }
    let table: QuantileTable
    do { table = try HolePunchTiming(file: file, count: 12).measure() } catch {
      // A file system without O_DIRECT (tmpfs before Linux 6.6) cannot write the footer as the engine does.
      print("skipped: \(base): \(error); set VHDSIM_BENCH_DIR to a folder on a real disk")
      return
    }
    #expect(
      table.probabilities.count == 15 && table.probabilities.first == 0 && table.probabilities.last == 1)
    #expect(zip(table.nanoseconds, table.nanoseconds.dropFirst()).allSatisfy { $0 <= $1 })
    #expect(table.nanoseconds[0] > 0)
    // Six allocations: the file ends after the sixth footer; the fifth's sector and the sixth
    // block's data area read as zeros, the sixth footer as written.
    let last = HolePunchTiming.footerSector(after: 6)
    let previous = HolePunchTiming.footerSector(after: 5)
    #expect(last - previous == 4097 + (8 - (previous + 1) % 8) % 8)
    let device = try SparseFileDevice.open(path: file, writable: false)
    #expect(device.length == (last + 1) * 512)
    func sector(_ s: UInt64) throws -> [UInt8] {
      var bytes = [UInt8](repeating: 1, count: 512)
      try bytes.withUnsafeMutableBytes { try device.read(into: $0, at: s * 512, kind: .footer) }
      return bytes
    }
    #expect(try sector(last).allSatisfy { $0 == 0x5A })
    #expect(try sector(previous).allSatisfy { $0 == 0 })
    #expect(try sector(last - 1).allSatisfy { $0 == 0 })
  }
}

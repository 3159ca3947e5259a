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

  /// Fixtures made here with fio 3.33 (`--output-format=json`, psync, O_DIRECT, 1 s on /dev/vda):
  /// the fallback path, output whose `lat_ns` has no percentiles, so the latency is `clat_ns`'s, and
  /// no submission latency (psync records none).
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
    #expect(r.submissionQuantiles == nil && r.meanSubmissionNs == nil)
    let w = try #require(try fixture("fio-randwrite-4k-qd4.json").first)
    #expect(w.isWrite && w.iops == 26193.137255 && w.bytesPerSecond == 107_287_090)
    #expect(w.meanLatencyNs == 150052.882584 && w.submissionQuantiles == nil)
  }

  /// Fixtures made here with fio 3.33 and `FioJob.arguments` (libaio, one job, O_DIRECT, 1 s, no
  /// ramp, on /dev/vda's ext4): random 4 KiB reads at depth 1 on a written 64 MiB file, and random
  /// 4 KiB writes at depth 8 on a fresh 512 MiB sparse file (`--fallocate=none`). The latency is
  /// `lat_ns` (submission plus completion), the submission latency `slat_ns`.
  @Test func parsesLibaioFioJSON() throws {
    let r = try #require(try fixture("fio-libaio-randread-4k-qd1.json").first)
    #expect(r.jobName == "randread-4k-qd1" && !r.isWrite)
    #expect(r.iops == 12081.918082 && r.bytesPerSecond == 49_487_536)
    // lat_ns's mean, min, percentiles and max; clat_ns's are 61,870.07, 2,405, 39,168 at p 0.5.
    #expect(r.meanLatencyNs == 80826.230362)
    // min, fio's 17 percentiles, the 99.99th again at 1 − 1/N (N 12,094: only the largest sample
    // reaches the max), max.
    #expect(r.latencyQuantiles.count == 20)
    #expect(r.latencyQuantiles.first! == (0, 37_911))
    #expect(r.latencyQuantiles[18] == (1 - 1 / 12_094, 22_151_168))
    #expect(abs(r.latencyQuantiles[17].p - 0.9999) < 1e-12 && r.latencyQuantiles[17].ns == 22_151_168)
    #expect(r.latencyQuantiles.last! == (1, 22_353_232))
    #expect(r.latencyQuantiles.contains { $0.p == 0.5 && $0.ns == 56_064 })
    #expect(r.latencyQuantiles.contains { $0.p == 0.99 && $0.ns == 138_240 })
    #expect(r.meanSubmissionNs == 18956.156937)
    let s = try #require(r.submissionQuantiles)
    #expect(s.count == 20 && s.first! == (0, 11_692) && s.last! == (1, 5_413_500))
    #expect(s[18] == (1 - 1 / 12_094, 4_947_968))
    #expect(s.contains { $0.p == 0.5 && $0.ns == 15_808 })
    #expect(s.contains { $0.p == 0.99 && $0.ns == 43_264 })

    let w = try #require(try fixture("fio-libaio-alloc-randwrite-4k-qd8.json").first)
    #expect(w.jobName == "alloc-randwrite-4k-qd8" && w.isWrite)
    #expect(w.iops == 14097.902098 && w.bytesPerSecond == 57_745_006)
    #expect(w.meanLatencyNs == 563269.822562)
    #expect(w.latencyQuantiles.first! == (0, 77_124))
    #expect(w.latencyQuantiles.contains { $0.p == 0.5 && $0.ns == 264_192 })
    #expect(w.latencyQuantiles.contains { $0.p == 0.99 && $0.ns == 5_144_576 })
    #expect(w.meanSubmissionNs == 39540.690264)
    #expect(try #require(w.submissionQuantiles).contains { $0.p == 0.5 && $0.ns == 23_680 })
  }

  /// A percentile key that is not a number is refused, naming the job and the field.
  @Test func namesTheFieldOfABadPercentile() throws {
    let url = Self.fixtures.appendingPathComponent("fio-libaio-randread-4k-qd1.json")
    let text = try String(contentsOf: url, encoding: .utf8)
    // slat_ns's percentiles come first in each direction; its 50th is the first "50.000000".
    let bad = text.replacingOccurrences(of: "\"50.000000\" : 15808", with: "\"fifty\" : 15808")
    #expect(bad != text)
    #expect(
      throws: CalibrationError.badFioOutput(
        file: "bad.json", reason: "randread-4k-qd1: slat_ns percentile key \"fifty\" is not a percentage")
    ) { try FioResult.parse(json: Data(bad.utf8), file: "bad.json") }
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

  /// A depth-1 job run again at the calibration's end (`repeats`) is pooled with its first run: the
  /// latency table is the two averaged quantile by quantile, at every probability either lists, and
  /// the queue-depth factors divide by the two runs' mean latency (the harmonic mean of their IOPS).
  /// Here the repeat of the 4 KiB read took twice as long: the fitted table is 1.5 × the first run's
  /// (transfer taken off after pooling), the read factor at 32 is 32 / 9 where it was 32 / 6, and
  /// the jobs not repeated fit as before.
  @Test func fitPoolsAJobWithItsRepeat() throws {
    let truth = LatencyDistribution.lognormal(median: 100_000, sigma: 0.4)
    let grid = syntheticGrid(truth)
    var again = try #require(
      grid.first { !$0.job.isWrite && $0.job.blockBytes == 4096 && $0.job.queueDepth == 1 })
    again.result.iops /= 2
    again.result.latencyQuantiles =
      again.result.latencyQuantiles.map { (p: $0.p, ns: 2 * $0.ns) } + [(p: 0.999_99, ns: 0)]
    again.result.latencyQuantiles.sort { $0.p < $1.p }
    // The extra point takes its place in order and the value its neighbours give.
    let last = again.result.latencyQuantiles.count - 1
    again.result.latencyQuantiles[last - 1].ns =
      (again.result.latencyQuantiles[last - 2].ns + again.result.latencyQuantiles[last].ns) / 2
    let m = try ProfileFit.fit(grid, repeats: [again], capacityBytes: 1 << 30)
    let transfer = 4096 * 1e9 / 800e6
    for p in [0.1, 0.5, 0.9, 0.99] {
      let expected = 1.5 * (truth.value(at: p) + transfer) - transfer
      let fitted = m.read.value(bytes: 4096, at: p)
      #expect(abs(fitted - expected) / expected < 1e-9, "p\(p): \(fitted) vs \(expected)")
    }
    let table = try #require(
      m.read.classes.first { $0.bytes == 4096 }.flatMap {
        if case .empirical(let t) = $0.latency { t } else { nil }
      })
    #expect(table.probabilities.contains(0.999_99) && table.probabilities.count == 18)
    let scaling = try #require(m.queueDepthScaling)
    #expect(abs(scaling.read[1].factor - 32.0 / 9) < 1e-9)
    #expect(abs(scaling.write[1].factor - 32.0 / 6) < 1e-9)
    let plain = try ProfileFit.fit(grid, capacityBytes: 1 << 30)
    #expect(m.read.value(bytes: 65_536, at: 0.5) == plain.read.value(bytes: 65_536, at: 0.5))
    #expect(m.write.value(bytes: 4096, at: 0.5) == plain.write.value(bytes: 4096, at: 0.5))
    #expect(throws: QuantileTable.Problem.tooFewPoints) { try QuantileTable.average([]) }
  }

  /// The fit takes the total latency (`lat_ns`: what a caller waits for, `io_submit` included), not
  /// the completion latency: the libaio read fixture as the random 4 KiB depth-1 read job gives its
  /// `lat_ns` quantiles back, less the transfer at 800 MB/s (5,120 ns).
  @Test func fitUsesTotalLatency() throws {
    var grid = syntheticGrid(.lognormal(median: 100_000, sigma: 0.4))
    let i = try #require(
      grid.firstIndex { !$0.job.isWrite && $0.job.blockBytes == 4096 && $0.job.queueDepth == 1 })
    grid[i].result = try #require(try fixture("fio-libaio-randread-4k-qd1.json").first)
    let m = try ProfileFit.fit(grid, capacityBytes: 1 << 30)
    let fitted = m.read.value(bytes: 4096, at: 0.5)
    #expect(abs(fitted - (56_064 - 5_120)) < 1e-6, "lat_ns p50 less transfer, not clat_ns's 39,168")
    #expect(abs(m.read.value(bytes: 4096, at: 0.99) - (138_240 - 5_120)) < 1e-6)
  }

  /// The allocating write's submission (fio's `slat_ns` of the deepest sparse-file job, depth 8)
  /// becomes the time it holds the inode lock and the thread: the fixture's slat p50 (23,680 ns) as
  /// is, no transfer taken off, not the depth-1 job's (here the same run's quantiles doubled, as an
  /// idle device's notification lengthens them).
  @Test func fitTakesTheAllocatingSubmission() throws {
    var grid = syntheticGrid(.lognormal(median: 100_000, sigma: 0.4))
    let alloc = try #require(try fixture("fio-libaio-alloc-randwrite-4k-qd8.json").first)
    var atDepthOne = alloc
    atDepthOne.submissionQuantiles = alloc.submissionQuantiles?.map { ($0.p, 2 * $0.ns) }
    for (depth, result) in [(1, atDepthOne), (8, alloc)] {
      grid.append(
        FioMeasurement(
          job: FioJob(isWrite: true, random: true, blockBytes: 4096, queueDepth: depth, sparse: true),
          result: result))
    }
    let fs = try #require(try ProfileFit.fit(grid, capacityBytes: 1 << 30).fileSystem)
    let submit = try #require(fs.allocatingSubmit)
    #expect(abs(submit.value(bytes: 4096, at: 0.5) - 23_680) < 1e-6)
    // A psync grid has no submission figures: the lock is held to completion.
    grid[grid.count - 1].result.submissionQuantiles = nil
    #expect(try ProfileFit.fit(grid, capacityBytes: 1 << 30).fileSystem?.allocatingSubmit == nil)
  }

  /// The mixed job (fixture: fio 3.33, libaio, O_DIRECT, random 4 KiB 70 % reads at depth 8, 1 s on
  /// this machine's disk, 6 December 2026) gives a measurement per direction, and the fit turns them
  /// into a mixed point (docs/simulation.md#queue-depth-scaling): the writes' share of the I/Os in
  /// flight by Little's law, and factors whose latencies put exactly the job's depth in flight at its
  /// IOPS.
  @Test func fitTakesTheMixedJob() throws {
    let both = try fixture("fio-libaio-randrw70-4k-qd8.json")
    #expect(both.map(\.isWrite) == [false, true])
    #expect(both.allSatisfy { $0.jobName == "randrw70-4k-qd8" })
    let (r, w) = (both[0], both[1])
    #expect(r.iops == 41998.001998 && abs(r.meanLatencyNs - 122073.324049) < 1e-6)
    #expect(w.iops == 17939.060939 && abs(w.meanLatencyNs - 158556.050064) < 1e-6)
    let job = FioJob.mixedJobs(quick: false)[0]
    #expect(job.name == "randrw70-4k-qd8" && job.isMixed && job.queueDepth == 8)
    let args = job.arguments(file: "/x", sizeBytes: 1 << 30, seconds: 1, rampSeconds: 0)
    #expect(
      args.contains("--rw=randrw") && args.contains("--rwmixread=70") && !args.contains("--fallocate=none"))
    #expect(FioJob.mixedJobs(quick: true).map(\.queueDepth) == [32])
    var grid = syntheticGrid(.lognormal(median: 100_000, sigma: 0.4))
    let single = try #require(try ProfileFit.fit(grid, capacityBytes: 1 << 30).queueDepthScaling)
    #expect(single.mixed.isEmpty)
    grid += both.map { FioMeasurement(job: job, result: $0) }
    let m = try ProfileFit.fit(grid, capacityBytes: 1 << 30)
    let scaling = try #require(m.queueDepthScaling)
    // The single-direction curves and the rest of the fit are as without the mixed job.
    #expect(scaling.read == single.read && scaling.write == single.write && m.channels == 32)
    #expect(scaling.mixed.count == 1)
    let point = scaling.mixed[0]
    #expect(point.depth == 8)
    // 5.127 reads and 2.844 writes in flight: a share of 0.357.
    #expect(abs(point.writeShare - 0.35685) < 1e-4)
    // The synthetic grid's depth-1 jobs: 1 / IOPS is the truth's mean plus the 4 KiB transfer.
    let readOne = grid.first { !$0.job.isWrite && $0.job.blockBytes == 4096 && $0.job.queueDepth == 1 }!
    let writeOne = grid.first { $0.job.isWrite && $0.job.blockBytes == 4096 && $0.job.queueDepth == 1 }!
    let readLatency = point.read / readOne.result.iops
    let writeLatency = point.write / writeOne.result.iops
    // Little's law closes: the fitted latencies at the job's IOPS keep 8 in flight, and their ratio
    // is fio's.
    #expect(abs(r.iops * readLatency + w.iops * writeLatency - 8) < 1e-9)
    #expect(abs(readLatency / writeLatency - r.meanLatencyNs / w.meanLatencyNs) < 1e-12)
    // A mixed job with only one direction is refused, by name.
    #expect(throws: CalibrationError.missingMeasurement("both directions of the mixed job at depth 8")) {
      try ProfileFit.fit(grid.dropLast(), capacityBytes: 1 << 30)
    }
  }

  /// docs/simulation.md#completion-rounds: the batched jobs (one `io_submit` a batch, collected
  /// whole) give the round factors, each direction's mean latency over its depth-1 mean latency; the
  /// streaming fit is unchanged by them, and without them a profile has no rounds.
  @Test func fitTakesTheBatchedJobs() throws {
    let jobs = FioJob.batchedJobs(quick: false)
    #expect(
      jobs.map(\.name) == [
        "batch-randread-4k-qd8", "batch-randwrite-4k-qd8", "batch-randrw70-4k-qd8", "batch-randread-4k-qd32",
        "batch-randwrite-4k-qd32", "batch-randrw70-4k-qd32",
      ])
    #expect(FioJob.batchedJobs(quick: true).map(\.queueDepth) == [32, 32, 32])
    let args = jobs[0].arguments(file: "/x", sizeBytes: 1 << 30, seconds: 1, rampSeconds: 0)
    #expect(args.contains("--iodepth_batch_submit=8") && args.contains("--iodepth_batch_complete_min=8"))
    #expect(
      !FioJob.mixedJobs(quick: false)[0].arguments(file: "/x", sizeBytes: 1, seconds: 1, rampSeconds: 0)
        .contains { $0.hasPrefix("--iodepth_batch") })
    let grid = syntheticGrid(.lognormal(median: 100_000, sigma: 0.4))
    let streaming = try ProfileFit.fit(grid, capacityBytes: 1 << 30)
    #expect(streaming.batchScaling == nil && !streaming.completesInRounds)
    let readOne = grid.first { !$0.job.isWrite && $0.job.blockBytes == 4096 && $0.job.queueDepth == 1 }!
    let writeOne = grid.first { $0.job.isWrite && $0.job.blockBytes == 4096 && $0.job.queueDepth == 1 }!
    let readMean = 1e9 / readOne.result.iops
    let writeMean = 1e9 / writeOne.result.iops
    func measured(_ job: FioJob, isWrite: Bool, times: Double, iops: Double) -> FioMeasurement {
      let mean = (isWrite ? writeMean : readMean) * times
      return FioMeasurement(
        job: job,
        result: FioResult(
          jobName: job.name, isWrite: isWrite, iops: iops, bytesPerSecond: iops * 4096, meanLatencyNs: mean,
          latencyQuantiles: [(0, mean), (1, mean)]))
    }
    var batched = grid
    batched.append(measured(jobs[0], isWrite: false, times: 2.5, iops: 30_000))
    batched.append(measured(jobs[1], isWrite: true, times: 2, iops: 40_000))
    batched.append(measured(jobs[2], isWrite: false, times: 3, iops: 21_000))
    batched.append(measured(jobs[2], isWrite: true, times: 3.5, iops: 9_000))
    let m = try ProfileFit.fit(batched, capacityBytes: 1 << 30)
    #expect(m.queueDepthScaling == streaming.queueDepthScaling && m.read == streaming.read)
    let rounds = try #require(m.batchScaling)
    #expect(m.completesInRounds)
    #expect(rounds.read.map(\.depth) == [1, 8] && abs(rounds.read[1].factor - 2.5) < 1e-9)
    #expect(rounds.write.map(\.depth) == [1, 8] && abs(rounds.write[1].factor - 2) < 1e-9)
    let point = try #require(rounds.mixed.first)
    #expect(point.depth == 8 && abs(point.writeShare - 0.3) < 1e-12)
    #expect(abs(point.read - 3) < 1e-9 && abs(point.write - 3.5) < 1e-9)
    // A batched mix with one direction only is refused, by name.
    #expect(
      throws: CalibrationError.missingMeasurement("both directions of the batched mixed job at depth 8")
    ) {
      try ProfileFit.fit(batched.dropLast(), capacityBytes: 1 << 30)
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

  /// Every job drives the device as tapdisk does: libaio from one job (one thread), `iodepth` I/Os in
  /// flight, with total- and submission-latency percentiles.
  @Test func jobsUseLibaioFromOneThread() {
    for job in FioJob.grid(quick: false) + FioJob.mixedJobs(quick: false) + FioJob.batchedJobs(quick: false)
      + FioJob.allocationJobs
    {
      let args = job.arguments(file: "/x", sizeBytes: 1 << 30, seconds: 2, rampSeconds: 1)
      #expect(args.contains("--ioengine=libaio") && args.contains("--iodepth=\(job.queueDepth)"))
      #expect(args.contains("--lat_percentiles=1") && args.contains("--slat_percentiles=1"))
      #expect(args.contains("--direct=1"))
      #expect(!args.contains { $0.hasPrefix("--numjobs") || $0 == "--thread" || $0.contains("psync") })
    }
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

import Experiments
import Foundation
import Pool
// SPDX-License-Identifier: GPL-3.0-or-later
import VHD

#if canImport(Glibc)
  import Glibc
#endif

/// `vhdsim disk calibrate`: checks the target, runs the fio grid on it with O_DIRECT, fits an
/// `SSDModel` (`ProfileFit`) and writes it as a profile (docs/simulation.md#calibration).
///
/// Each job drives the device as tapdisk does: Linux native AIO from one thread, the job's queue
/// depth in flight (fio's libaio engine, one job; xapi-project/blktap `drivers/libaio-backend.c`).
///
/// The target is a file (created at `sizeBytes` by fio, real data written, so reads reach the
/// device) or a folder, which gets `vhdsim-calibrate.dat` (removed afterwards). Block devices are not
/// accepted: the write jobs would destroy what is on them.
public struct DiskCalibrator {
  public var target: String
  public var sizeBytes: UInt64
  public var quick: Bool
  /// Called after each job: (done, total, job name).
  public var progress: (Int, Int, String) -> Void = { _, _, _ in }

  public init(target: String, sizeBytes: UInt64, quick: Bool) {
    self.target = target
    self.sizeBytes = sizeBytes
    self.quick = quick
  }

  /// The file fio works on.
  public var file: String {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: target, isDirectory: &isFolder), isFolder.boolValue {
      return (target as NSString).appendingPathComponent("vhdsim-calibrate.dat")
    }
    return target
  }

  /// The size of the file system holding the target (the profile's capacity); the file's size when
  /// it cannot be read.
  public var deviceBytes: UInt64 {
    var fs = statvfs()
    guard statvfs((file as NSString).deletingLastPathComponent, &fs) == 0 else { return sizeBytes }
    return UInt64(fs.f_blocks) * UInt64(fs.f_frsize)
  }

  /// fio on PATH, a writable folder with room for the file, and O_DIRECT accepted there; throws the
  /// first failing check. Returns fio's path.
  public func check() throws(CalibrationError) -> String {
    guard let fio = findExecutable("fio") else { throw .fioMissing }
    try Self.checkTarget(file: file, sizeBytes: sizeBytes)
    return fio
  }

  /// The writable-folder, free-space and O_DIRECT checks for a file that will hold `sizeBytes`.
  public static func checkTarget(file: String, sizeBytes: UInt64) throws(CalibrationError) {
    let folder =
      (file as NSString).deletingLastPathComponent.isEmpty
      ? "." : (file as NSString).deletingLastPathComponent
    guard access(folder, W_OK) == 0 else { throw .notWritable(path: folder, errno: errno) }
    var fs = statvfs()
    if statvfs(folder, &fs) == 0 {
      let existing = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? UInt64) ?? 0
      let available = UInt64(fs.f_bavail) * UInt64(fs.f_frsize) + existing
      guard available >= sizeBytes else {
        throw .tooSmall(path: folder, availableBytes: available, neededBytes: sizeBytes)
      }
    }
    try probeDirectIO(file: file)
  }

  /// Opens (creating if needed) `file` with O_DIRECT and writes one aligned 4 KiB block, as the
  /// measurement will; a file system without direct I/O refuses the open or the write with EINVAL.
  public static func probeDirectIO(file: String) throws(CalibrationError) {
    let existed = FileManager.default.fileExists(atPath: file)
    let fd = open(file, O_RDWR | O_CREAT | DirectIO.openFlag | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw .openFailure(path: file, errno: errno) }
    defer {
      close(fd)
      if !existed { unlink(file) }
    }
    guard let block = UnsafeMutableRawPointer.aligned(4096) else { return }
    defer { free(block) }
    memset(block, 0, 4096)
    if pwrite(fd, block, 4096, 0) < 0 { throw .openFailure(path: file, errno: errno) }
  }

  /// The fresh sparse file of the allocation jobs and the hole-punch timing, beside `file`.
  public var sparseFile: String { file + ".sparse" }

  /// Recreates `sparseFile` as `sizeBytes` of hole.
  func freshSparseFile() throws(CalibrationError) {
    unlink(sparseFile)
    let fd = open(sparseFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw .openFailure(path: sparseFile, errno: errno) }
    defer { close(fd) }
    if ftruncate(fd, off_t(sizeBytes)) != 0 { throw .openFailure(path: sparseFile, errno: errno) }
  }

  /// Runs every job of the grid and the allocation jobs, the throughput jobs a second time, the
  /// grid's latency jobs again and the throughput jobs a third time (`CalibrationSteadiness`), and
  /// returns what fio measured: the grid with each throughput job's median run, the latency
  /// repeats, and every throughput job's runs.
  public func measure(fio: String) throws(CalibrationError) -> (
    grid: [FioMeasurement], repeats: [FioMeasurement], throughput: [CalibrationSteadiness.ThroughputRuns]
  ) {
    defer { if target != file { unlink(file) } }
    let grid = FioJob.grid(quick: quick)
    let first =
      grid + FioJob.mixedJobs(quick: quick) + FioJob.batchedJobs(quick: quick) + FioJob.allocationJobs
    let repeated = CalibrationSteadiness.repeatedJobs(of: grid)
    let throughput = CalibrationSteadiness.throughputJobs(of: first)
    var all = try run(first + throughput + repeated + throughput, fio: fio)[...]
    /// The next measurements of `jobs` (a mixed job gave one per direction).
    func take(_ jobs: [FioJob]) -> [FioMeasurement] {
      let n = jobs.reduce(0) { $0 + ($1.isMixed ? 2 : 1) }
      defer { all = all.dropFirst(n) }
      return Array(all.prefix(n))
    }
    let measured = take(first)
    let second = take(throughput)
    let repeats = take(repeated)
    let third = take(throughput)
    let kept = CalibrationSteadiness.keepMedians(first: measured, again: [second, third])
    return (kept.grid, repeats, kept.runs)
  }

  /// Runs `jobs` with fio, in order, and returns what it measured.
  func run(_ jobs: [FioJob], fio: String) throws(CalibrationError) -> [FioMeasurement] {
    var out: [FioMeasurement] = []
    defer { unlink(sparseFile) }
    for (i, job) in jobs.enumerated() {
      if job.sparse { try freshSparseFile() }
      let (runSeconds, rampSeconds) = (quick ? 1 : 4, quick || job.sparse ? 0 : 1)
      let args = job.arguments(
        file: job.sparse ? sparseFile : file, sizeBytes: sizeBytes, seconds: runSeconds,
        rampSeconds: rampSeconds)
      let run: (status: Int32, output: String)
      let device = job.sparse ? sparseFile : file
      // None for a job that lays its file out first: the layout's writes would count.
      let diskBefore = HostDiskCounters.of(path: device)
      let started = DispatchTime.now().uptimeNanoseconds
      do { run = try runProgram(fio, args) } catch {
        throw .fioFailed(job: job.name, status: -1, message: "\(error)")
      }
      guard run.status == 0 else {
        throw .fioFailed(job: job.name, status: run.status, message: String(run.output.suffix(400)))
      }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
      let disk = diskBefore.flatMap { before in HostDiskCounters.of(path: device)?.since(before) }
      let results = try FioResult.parse(json: Data(Self.jsonPart(run.output).utf8), file: "fio \(job.name)")
      // The device's figures for the job as a whole (both directions of a mixed one, the ramp too),
      // per fio I/O at the rate fio measured.
      let fioIOs = results.reduce(0.0) { $0 + $1.iops } * Double(runSeconds + rampSeconds)
      // A mixed job gives a measurement per direction, read first.
      for isWrite in job.isMixed ? [false, true] : [job.isWrite] {
        guard let r = results.first(where: { $0.isWrite == isWrite }) else {
          throw .badFioOutput(file: "fio \(job.name)", reason: "no \(isWrite ? "write" : "read") figures")
        }
        out.append(
          FioMeasurement(
            job: job, result: r,
            hostDisk: HostDiskLoad(runs: [(disk, Int(fioIOs.rounded()), seconds)])))
      }
      progress(i + 1, jobs.count, job.name)
    }
    return out
  }

  /// Times hole punches in a fresh sparse file (`HolePunchTiming`), which is removed afterwards.
  public func timeHolePunches() throws(CalibrationError) -> QuantileTable {
    unlink(sparseFile)
    defer { unlink(sparseFile) }
    return try HolePunchTiming(file: sparseFile).measure()
  }

  /// The engine's processor time per request on this host (`EngineCPUTiming`; release builds only
  /// give the figure tapdisk's C engine is compared with).
  public func measureEngineCPU() throws -> EngineCPUCost { try EngineCPUTiming().measure() }

  /// `engineCPU` with the tapdisk loop's own time per I/O (`LoopOverheadTiming`), measured in a
  /// folder beside the file against fio's random 4 KiB reads at depth 1: the run after the grid when
  /// there is one (nearest in time), else the grid's.
  public func measureLoopOverhead(
    engineCPU: EngineCPUCost, grid: [FioMeasurement], repeats: [FioMeasurement]
  ) throws -> (cost: EngineCPUCost, loop: LoopOverheadTiming.Measurement) {
    let reads = (repeats + grid).first {
      !$0.job.isWrite && !$0.job.isMixed && !$0.job.sparse && $0.job.random && $0.job.blockBytes == 4096
        && $0.job.queueDepth == 1
    }
    guard let fio = reads else {
      throw CalibrationError.missingMeasurement("a random 4 KiB read job at depth 1")
    }
    let folder = (file as NSString).deletingLastPathComponent + "/vhdsim-calibrate-loop"
    var cost = engineCPU
    let loop = try LoopOverheadTiming(folder: folder).measure(
      fio: .init(iops: fio.result.iops, deviceUsPerIO: fio.hostDisk?.usPerIO), engineCPU: engineCPU)
    cost.perIO = loop.perIO
    return (cost, loop)
  }

  /// fio may print notes before its JSON document; the document starts at the first "{".
  static func jsonPart(_ output: String) -> String {
    guard let start = output.firstIndex(of: "{") else { return output }
    return String(output[start...])
  }

  /// The fitted profile file's text: the model and a comment block with the grid's figures.
  public static func profileYAML(
    name: String, target: String, grid: [FioMeasurement], repeats: [FioMeasurement] = [],
    throughput: [CalibrationSteadiness.ThroughputRuns] = [], punchBatches: [QuantileTable] = [],
    model: SSDModel,
    engineCPU: EngineCPUCost = .none, loop: LoopOverheadTiming.Measurement? = nil
  ) -> String {
    var comments = [
      "Measured by `vhdsim disk calibrate` with fio (O_DIRECT, libaio from one thread, iodepth in flight,",
      "as tapdisk drives an image: blktap drivers/libaio-backend.c) on \(target).",
      "Latency tables: fio total-latency quantiles (lat_ns: submission + completion) of the random",
      "queue-depth-1 jobs, less the bus transfer at the fitted bandwidth; bandwidths: best 1 MiB job;",
      "queue_depth_scaling: the random 4 KiB jobs' mean latency (depth / IOPS) over depth 1's, mixed:",
      "the randrw70 jobs' per direction (r, w) with the writes' share of the I/Os in flight;",
      "channels: their deepest depth; batch_scaling: the batch- jobs' (one io_submit a batch, collected",
      "whole) mean latency over depth 1's, the time of a round; file_system: the alloc- jobs (a fresh sparse file) and timed hole",
      "punches; engine_cpu: the engine on chains in memory, depths 1 and 17, this build; io_us: the",
      "validation's loop reading a one-level chain at iodepth 1, beyond fio's random 4 KiB reads, less",
      "the device's own change between the two runs and the engine's time; submit_us: the randrw70",
      "job's at its lowest depth (slat, reads and writes weighted by IOPS), the thread's time in",
      "io_submit an I/O",
      "(docs/simulation.md#calibration). mean us: lat_ns's mean; submit us: slat_ns's (the time in",
      "io_submit). device: the kernel's counters of the device (/sys/dev/block/…/stat) over the fio",
      "process, ramp included: the time an I/O spent in its queue (Little) and the queue's mean. The",
      "grid (a throughput job's row is its median run of three, listed after), then its latency jobs",
      "run again:",
      "job                          IOPS        MB/s    mean us  submit us  device us  device queue",
    ]
    for m in grid + repeats {
      comments.append(
        (m.job.name + (m.job.isMixed ? (m.result.isWrite ? " w" : " r") : ""))
          .padding(toLength: 26, withPad: " ", startingAt: 0)
          + String(
            format: "%10.0f  %10.1f  %9.1f", m.result.iops, m.result.bytesPerSecond / 1e6,
            m.result.meanLatencyNs / 1000)
          + (m.result.meanSubmissionNs.map { String(format: "  %9.1f", $0 / 1000) } ?? "")
          + (m.hostDisk.map { String(format: "  %9.1f  %12.2f", $0.usPerIO, $0.meanQueue) } ?? ""))
    }
    if !throughput.isEmpty {
      comments.append("throughput jobs, three runs each (IOPS, both directions together), the median kept:")
      for entry in throughput {
        let runs = entry.runs.indices.map { String(format: "%.0f", entry.iops($0)) }.joined(separator: " · ")
        comments.append(
          entry.job.name.padding(toLength: 26, withPad: " ", startingAt: 0) + runs
            + String(format: "  kept %.0f", entry.iops(entry.kept)))
      }
    }
    if !punchBatches.isEmpty {
      let means = punchBatches.map { String(format: "%.1f", $0.mean / 1000) }.joined(separator: " · ")
      let kept = CalibrationSteadiness.medianByMean(punchBatches).map {
        String(format: "%.1f", $0.mean / 1000)
      }
      comments.append(
        "hole punches, \(punchBatches.count) batches (mean us): \(means); kept \(kept ?? "none")")
    }
    if let loop { comments.append(loop.summary) }
    return DiskProfileWriter.yaml(
      name: name, source: "vhdsim disk calibrate on \(target)", comments: comments, model: model,
      engineCPU: engineCPU)
  }
}

extension UnsafeMutableRawPointer {
  /// `posix_memalign`: O_DIRECT needs buffers aligned to the logical block size; 4096 covers all.
  static func aligned(_ bytes: Int) -> UnsafeMutableRawPointer? {
    var p: UnsafeMutableRawPointer?
    return posix_memalign(&p, 4096, bytes) == 0 ? p : nil
  }
}

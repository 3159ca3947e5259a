// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Benchmarking
import Foundation

/// `vhdsim disk`: measuring real devices into disk profiles.
struct DiskCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "disk", abstract: "Measure a real device into a disk profile.",
    subcommands: [DiskCalibrateCommand.self])
}

/// `vhdsim disk calibrate TARGET --out profile.yaml`.
struct DiskCalibrateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "calibrate",
    abstract: "Run fio with O_DIRECT over a grid on TARGET and write the fitted disk profile.",
    discussion: """
      Each job drives the device as tapdisk does: libaio from one thread with the queue depth in \
      flight (fio --ioengine=libaio --iodepth=N, O_DIRECT); latencies are fio's total latency \
      (submission plus completion).

      The grid: read and write; 4 KiB, 64 KiB, 1 MiB; random and sequential; queue depths 1, 8, 32 \
      (--quick: 1 and 32, one second per job); then random 4 KiB reads and writes together, 70 % \
      reads, at queue depths 8 and 32 (--quick: 32), for how a mix in flight slows each direction; \
      then random 4 KiB reads, writes and the mix again, each batch submitted in one io_submit and \
      collected whole, at the same depths, for completion rounds; then random 4 KiB writes into a fresh sparse file \
      (queue depths 1 and 8) and timed hole punches, for the file system's allocation costs; and the \
      engine's processor time per request on chains in memory (use a release build); and the \
      tapdisk loop's own time per I/O beyond fio's (the validation's loop reading a one-level chain \
      at iodepth 1 in a folder beside the file, against fio's random 4 KiB reads at depth 1, less \
      the device's own change between the two runs by its kernel counters); and the thread's time \
      in io_submit per I/O (fio's submission latency in the 70/30 job at its lowest depth).

      The random queue-depth-1 jobs (the latency tables) run again after the grid; when a pair's \
      mean latencies differ by more than 2×, the device changed speed meanwhile and nothing is \
      written (exit status 1) unless --allow-unsteady. The random 4 KiB jobs deeper than 1 (the \
      queue-depth and batch scaling) run three times, minutes apart, and the fit takes each one's \
      run of median IOPS, so a slowdown that catches one run is passed over; the hole punches are \
      timed before the grid, after it and at the end, and the fit takes the batch of median mean.

      TARGET is a file or a folder on the device to measure \
      (a folder gets a scratch file, removed afterwards); the write jobs overwrite the file. Needs fio.

      The profile: docs/simulation.md#disk-profiles; the fit: docs/simulation.md#calibration.
      """)

  @Argument(help: "A file or folder on the device to measure.") var target: String
  @Option(help: "The profile file to write.") var out: String
  @Option(help: "Size of the file fio works on, GiB.") var size = 1.0
  @Option(help: "The profile's name (default: the output file's name).") var name: String?
  @Flag(help: "A smaller grid, one second per job.") var quick = false
  @Flag(help: "Fit the grid even when a latency job run again after it disagrees (see the discussion).")
  var allowUnsteady = false

  func validate() throws {
    guard size > 0, size.isFinite else { throw ValidationError("--size must be positive") }
  }

  func run() throws {
    try runReportingErrors {
      var calibrator = DiskCalibrator(target: target, sizeBytes: UInt64(size * 1_073_741_824), quick: quick)
      let fio = try calibrator.check()
      let bar = ProgressLine(label: "calibrate")
      calibrator.progress = { done, total, job in bar.update(done, total, step: job) }
      // Hole punches at three moments (before the grid, after it, after the loop's timing); the fit
      // takes the batch of median mean (`CalibrationSteadiness.medianByMean`).
      var punchBatches = [try calibrator.timeHolePunches()]
      let (grid, repeats, throughput) = try calibrator.measure(fio: fio)
      if !allowUnsteady {
        do { try CalibrationSteadiness.check(grid: grid, repeats: repeats) } catch {
          bar.finish()
          throw error
        }
      }
      punchBatches.append(try calibrator.timeHolePunches())
      var (cpu, loop) = try calibrator.measureLoopOverhead(
        engineCPU: try calibrator.measureEngineCPU(), grid: grid, repeats: repeats)
      punchBatches.append(try calibrator.timeHolePunches())
      let punches = CalibrationSteadiness.medianByMean(punchBatches)
      cpu.perSubmit = SubmissionTiming.perIO(grid)
      bar.finish()
      let model = try ProfileFit.fit(
        grid, repeats: repeats, capacityBytes: calibrator.deviceBytes, punchHole: punches)
      let profileName = name ?? ((out as NSString).lastPathComponent as NSString).deletingPathExtension
      let text = DiskCalibrator.profileYAML(
        name: profileName, target: target, grid: grid, repeats: repeats, throughput: throughput,
        punchBatches: punchBatches, model: model, engineCPU: cpu, loop: loop)
      do { try text.write(toFile: out, atomically: true, encoding: .utf8) } catch {
        throw ValidationError("cannot write \(out): \(error.localizedDescription)")
      }
      // A mixed job gave a measurement per direction.
      let jobs =
        Set(grid.map(\.job.name)).count + Set(repeats.map(\.job.name)).count
        + throughput.reduce(0) { $0 + $1.runs.count - 1 }
      print(
        "vhdsim disk calibrate: \(jobs) fio jobs on \(calibrator.file); \(model.channels) channels, "
          + String(
            format: "read %.0f MB/s, write %.0f MB/s", model.readBandwidth / 1e6, model.writeBandwidth / 1e6)
          + "; profile written to \(out)")
    }
  }
}

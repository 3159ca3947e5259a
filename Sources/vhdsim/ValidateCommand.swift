// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Benchmarking
import Experiments
import Foundation

/// `vhdsim validate`: the simulator against the same engine on the real device.
struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Run a workload through real chains on this device and through the simulator; compare.",
    discussion: """
      For every chain depth × iodepth: random 4 KiB requests, 70 % reads (--read-fraction), \
      closed loop, on chains whose base is half written (--base-fill). Real: the VHD \
      engine on O_DIRECT files in FOLDER (built there first), driven as tapdisk drives it (one \
      thread, Linux native AIO, iodepth requests outstanding), wall-clock latency. Simulated: the same chains and workload seed with the disk profile. Writes \
      validation.json, report.md and report.html into --out: the findings first (cases within the \
      accuracy goal), simulated against real IOPS, DiskSim's demerit, p50/p90/p99, physical I/Os per \
      request, the tapdisk thread's processor time per request (measured; charged by the model), \
      the host device's own I/Os per request and mean queue (Linux block-device counters), \
      latency by request class (read or write × physical I/Os), and both response-time CDFs per case. The real side of a shared machine moves between runs: --repeats N runs each case's \
      real side N times (in rounds, every case once a round, each on a freshly built chain) and the \
      simulated side once, pools the real runs, and reports their spread beside the comparison: the \
      real IOPS range and median, the p50/p99 ranges and the noise floor (the largest demerit of one \
      real run against the others pooled), and in how many cases the model lands within it.

      The device check: each round of real runs starts with fio running the same mix on the device \
      without the engine (random 4 KiB, the same share of reads, each iodepth), beside the profile's \
      disk model on the same job. Their ratio is how far the device has moved since it was \
      calibrated; the report divides it out of each case's simulated / real IOPS, so drift and model \
      error show apart. Skipped without fio, or with --no-device-check. \
      docs/simulation.md#validation.
      """)

  @Option(help: "Disk profile (preset name, file, or NAME for Profiles/disks/NAME.yaml).") var profile =
    "nvme"
  @Option(help: "Chain depths, comma-separated.") var depths = "1,8,17"
  @Option(help: "I/O depths, comma-separated.") var iodepth = "1,8"
  @Option(help: "Folder on the device to build the real chains in.") var folder = "vhdsim-validate"
  @Option(help: "Output folder.") var out: String
  @Option(help: "Real runs per case, 1...20 (simulated once: it is deterministic); >1 adds the real spread.")
  var repeats = 1
  @Option(help: "Requests per case, each side and each run, 100...1000000 (default: 12000; --quick: 400).")
  var requests: Int?
  @Option(help: "The workload's share of reads, 0...1.") var readFraction = 0.7
  @Option(help: "The share of each chain's base written when it is built, 0...1.") var baseFill = 0.5
  @Flag(help: "64 MiB chains and 400 requests per case (CI).") var quick = false
  @Flag(help: "Print the result as one JSON object.") var json = false
  @Flag(help: "Do not run fio on the device alone at the start of each round.") var noDeviceCheck = false

  static func list(_ s: String, _ name: String) throws -> [Int] {
    let values = s.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 64 }) else {
      throw ValidationError("--\(name) must be comma-separated integers 1...64")
    }
    return values.map { $0! }
  }

  func validate() throws {
    _ = try Self.list(depths, "depths")
    _ = try Self.list(iodepth, "iodepth")
    do {
      try DiskValidation.check(repeats: repeats)
      if let requests { try DiskValidation.check(requests: requests) }
      try DiskValidation.check(readFraction: readFraction, baseFill: baseFill)
    } catch { throw ValidationError(error.description) }
  }

  func run() throws {
    try runReportingErrors {
      let disk = try DiskProfileFile.resolve(profile)
      var validation = DiskValidation(
        profile: disk, depths: try Self.list(depths, "depths"), iodepths: try Self.list(iodepth, "iodepth"),
        folder: folder, quick: quick)
      validation.repeats = repeats
      validation.readFraction = readFraction
      validation.baseFill = baseFill
      validation.deviceCheck = !noDeviceCheck
      if let requests { validation.requests = requests }
      let bar = ProgressLine(label: "validate")
      validation.progress = { p in bar.update(p.done, p.total, step: p.step, phase: p.phase) }
      let outcome = try validation.run()
      let cases = outcome.cases
      bar.finish()
      let report = ValidationReport(
        profile: disk.name, machine: "Real side: \(folder) on this machine", cases: cases,
        baseFill: baseFill, deviceChecks: outcome.deviceChecks)
      try report.write(to: out)
      if json {
        print(report.json)
      } else {
        print("vhdsim validate: \(cases.count) cases; report in \(out)/report.md")
        for c in cases {
          let spread = c.realSpread.map {
            String(
              format: " (real: %.0f–%.0f IOPS, noise floor %.1f %%)", $0.iopsMin, $0.iopsMax,
              $0.demeritPercent)
          }
          print(
            "depth \(c.depth) iodepth \(c.iodepth): demerit "
              + String(format: "%.1f %%, IOPS sim/real %.3f", c.demeritPercent, c.iopsRatio) + (spread ?? ""))
        }
        for d in outcome.deviceChecks {
          print(
            "device alone, iodepth \(d.iodepth): fio "
              + String(
                format: "%.0f IOPS (median of %d), profile %.0f: %.3f ×", d.iopsFioMedian, d.iopsFio.count,
                d.iopsProfile, d.ratio))
        }
      }
    }
  }
}

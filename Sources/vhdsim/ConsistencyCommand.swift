// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Foundation
import Pool
import Simulation
import VHD

/// `vhdsim consistency`: a VM writes through a workload generator while snapshots are taken in the
/// running pool (pause, drain, `VHDSnapshot.create`, reopen, unpause); each snapshot is read back
/// through the engine and compared with what the writes before it made.
struct ConsistencyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "consistency",
    abstract: "Check that snapshots taken in a running pool are crash-consistent.",
    discussion: """
      Every write carries a 64-bit tag per sector naming the write and the sector. A snapshot must hold \
      exactly the writes the tapdisk had taken when it paused (completed, or in flight and drained) and \
      none after. Runs on an empty chain on an in-memory device. Exits non-zero on any mismatch and says \
      where: VDI, LBA, expected tag, found tag.
      """)

  enum Workload: String, ExpressibleByArgument, CaseIterable {
    case random, sequential, fragmenting
    case yumInstall = "yum-install"
  }

  @Option(help: "Workload: random, sequential, fragmenting, yum-install (kernel package; checks files too).")
  var workload: Workload = .random
  @Option(help: "Snapshots, spread evenly over the run.") var snapshots = 4
  @Option(help: "Seed of every random stream.") var seed: UInt64 = 1
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Simulated seconds to run (default 1; yum-install: 10, long enough for the package's files to become durable).",
      valueName: "seconds"))
  var duration: Double?
  @Option(help: "Virtual disk size in MiB.") var sizeMib: UInt64 = 256
  @Option(help: "Requests kept outstanding.") var iodepth = 8
  @Flag(help: "Take the snapshots without draining (deliberately broken; shows the oracle catching it).")
  var skipDrain = false
  @Flag(help: "Print one JSON object.") var json = false
  @OptionGroup var progressOptions: ProgressOptions

  func validate() throws {
    guard snapshots >= 1 else { throw ValidationError("--snapshots must be at least 1") }
    if let duration, !(duration > 0 && duration.isFinite) {
      throw ValidationError("--duration must be positive, found \(duration)")
    }
    guard iodepth > 0 else { throw ValidationError("--iodepth must be positive") }
    guard sizeMib >= 2, sizeMib % 2 == 0 else {
      throw ValidationError("--size-mib must be a positive multiple of 2")
    }
  }

  /// The simulated time: the kernel package makes its files durable (renames, journal commits) only
  /// after 5 to 10 s of its run; before that a yum-install run has no file to check.
  var seconds: Double { duration ?? (workload == .yumInstall ? 10 : 1) }

  func run() throws {
    let duration = seconds
    try runReportingErrors {
      var scenario = ConsistencyScenario(
        workload: ConsistencyScenario.Workload(rawValue: workload.rawValue)!, snapshots: snapshots,
        seed: seed,
        duration: .seconds(duration), virtualSize: sizeMib << 20, ioDepth: iodepth, skipDrain: skipDrain)
      if workload == .yumInstall && sizeMib < 2048 {
        // The kernel package (~450 MB written through an ext4-like layout) needs room.
        scenario.virtualSize = 2048 << 20
      }
      let progress = progressOptions.line("consistency")
      let (result, report, files) = try scenario.run { progress?.update($0) }
      progress?.finish()
      let mismatch = report.firstMismatch
      if json {
        let summary = ConsistencyJSON(
          workload: workload.rawValue, seed: seed, report: report, result: result, files: files)
        print(try jsonText(summary))
      } else {
        print(
          "vhdsim consistency: \(workload.rawValue), \(snapshots) snapshots over \(duration) s, seed \(seed)"
            + (skipDrain ? ", NO DRAIN (broken on purpose)" : ""))
        for r in report.results {
          let stall = r.stall.map { String(format: "%.3f ms", $0.milliseconds) } ?? "-"
          print(
            "  snapshot \(r.snapshot): \(r.consistent ? "consistent" : "INCONSISTENT"), \(r.writesChecked) writes, "
              + "\(r.sectorsChecked) sectors checked, stall \(stall)")
        }
        if report.notTaken > 0 { print("  \(report.notTaken) snapshot(s) not taken before the run ended") }
        if let files {
          print(
            "  files: \(files.filesDurable) made durable by the install, \(files.filesChecked) (snapshot, file) pairs "
              + "checked whole, \(files.mismatches.count) broken")
        }
        print(
          "snapshots \(report.snapshots), consistent \(report.consistent), writes checked \(report.writesChecked), "
            + "sectors checked \(report.sectorsChecked), max stall "
            + String(format: "%.3f ms", report.maxStall.milliseconds))
      }
      if let m = mismatch {
        printError("consistency: mismatch: \(m)")
        throw ExitCode(1)
      }
      if let bad = files?.mismatches.first {
        printError(
          "consistency: file \(bad.file) is not whole in snapshot \(bad.sector.snapshot): \(bad.sector)"
        )
        throw ExitCode(1)
      }
      if let files, files.filesChecked == 0 {
        printError(
          "consistency: no file became durable in \(duration) simulated seconds, so none was checked; "
            + "give a longer --duration")
        throw ExitCode(ExitStatus.failure)
      }
      if !report.consistent {
        printError(
          "consistency: \(report.lateWrites) write(s) completed after the snapshot that holds them")
        throw ExitCode(1)
      }
    }
  }
}

/// `vhdsim consistency --json`: the check's figures; the file counts only for workloads that
/// install files, the first mismatch (tags as 0x-prefixed hex) only when there is one.
private struct ConsistencyJSON: Encodable {
  let workload: String
  let seed: UInt64
  let report: ConsistencyReport
  let result: RunResult
  let files: ConsistencyScenario.FileCheck?

  private enum Key: String, CodingKey {
    case workload, seed, snapshots, consistent, writes, reads, mismatch
    case snapshotsNotTaken = "snapshots_not_taken"
    case writesChecked = "writes_checked"
    case sectorsChecked = "sectors_checked"
    case lateWrites = "late_writes"
    case maxStallMs = "max_stall_ms"
    case durationS = "duration_s"
    case filesDurable = "files_durable"
    case filesChecked = "files_checked"
    case fileMismatches = "file_mismatches"
    case snapshot, vdi, lba, expected, found
  }

  func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: Key.self)
    try c.encode(workload, forKey: .workload)
    try c.encode(seed, forKey: .seed)
    try c.encode(report.snapshots, forKey: .snapshots)
    try c.encode(report.notTaken, forKey: .snapshotsNotTaken)
    try c.encode(report.consistent, forKey: .consistent)
    try c.encode(report.writesChecked, forKey: .writesChecked)
    try c.encode(report.sectorsChecked, forKey: .sectorsChecked)
    try c.encode(report.lateWrites, forKey: .lateWrites)
    try c.encode(report.maxStall.milliseconds, forKey: .maxStallMs)
    try c.encode(result.counts.writes, forKey: .writes)
    try c.encode(result.counts.reads, forKey: .reads)
    try c.encode(result.duration.seconds, forKey: .durationS)
    if let files {
      try c.encode(files.filesDurable, forKey: .filesDurable)
      try c.encode(files.filesChecked, forKey: .filesChecked)
      try c.encode(files.mismatches.count, forKey: .fileMismatches)
    }
    if let m = report.firstMismatch {
      var mismatch = c.nestedContainer(keyedBy: Key.self, forKey: .mismatch)
      try mismatch.encode(m.snapshot, forKey: .snapshot)
      try mismatch.encode(m.vdi, forKey: .vdi)
      try mismatch.encode(m.lba, forKey: .lba)
      try mismatch.encode(Self.hexTag(m.expected), forKey: .expected)
      try mismatch.encode(Self.hexTag(m.found), forKey: .found)
    }
  }

  static func hexTag(_ v: UInt64) -> String {
    let digits = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: Swift.max(0, 16 - digits.count)) + digits
  }
}

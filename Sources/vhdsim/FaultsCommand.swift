// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import StorageRepository
import VHD

/// `vhdsim faults`: the crash sweep of issue 5. Every physical write (and namespace change) of each
/// SR operation is in turn the one a power loss hits, clean and torn; after each the host restarts,
/// recovers, and every visible VDI, node and file is checked, before and after the GC runs.
struct FaultsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "faults",
    abstract: "Crash every SR operation at every physical write; check that recovery loses nothing.",
    discussion: """
      Operations: \(CrashSweepOperation.allCases.map(\.name).joined(separator: ", ")).

      For each, the un-crashed run counts its physical writes W; then every k in 1...W is tried clean and torn \
      on a fresh in-memory SR (file, LVM thin and/or LVM thick): crash, restart with the host's records and LV sizes \
      (SR.reopen), recover, check data, vhd-util check and orphans, run the GC, check again. Exits 1 when any \
      crash point failed. See docs/faults.md.
      """)

  @Option(help: "One operation (default: all).") var operation: String?
  @Option(help: "SR kind: file, lvm-thin, lvm-thick or all (`both` is an old name of all).") var sr = "all"
  @Option(help: "Seed of the uuids, write positions and data.") var seed: UInt64 = 1
  @Option(help: "Virtual size of the VDIs in MiB (a multiple of 2, at least 4).") var sizeMib: UInt64 = 32
  @Option(help: "Failure descriptions kept per operation and SR kind.") var failures = 5
  @Flag(help: "Print one JSON object.") var json = false
  @OptionGroup var progressOptions: ProgressOptions

  func validate() throws {
    guard failures >= 0 else { throw ValidationError("--failures must not be negative, found \(failures)") }
    guard sizeMib >= 4, sizeMib % 2 == 0, sizeMib <= VHDLimits.maximumSize >> 20 else {
      throw ValidationError("--size-mib takes a multiple of 2 of at least 4, found \(sizeMib)")
    }
  }

  func run() throws {
    try runReportingErrors {
      let operations =
        try operation.map { [try CrashSweepOperation(name: $0)] } ?? CrashSweepOperation.allCases
      let kinds = sr == "all" || sr == "both" ? CrashSweepSRKind.allCases : [try CrashSweepSRKind(name: sr)]
      var configuration = CrashSweepConfiguration(seed: seed)
      configuration.virtualSize = sizeMib << 20
      configuration.keptFailures = failures
      let sweep = CrashSweep(configuration: configuration)
      let progress = progressOptions.line("faults")
      var results: [CrashSweepResult] = []
      for operation in operations {
        for kind in kinds {
          results.append(try sweep.run(operation, on: kind))
          progress?.update(
            results.count, operations.count * kinds.count, step: "\(operation.name) on \(kind.name)")
        }
      }
      progress?.finish()
      let summary = CrashSweepSummary(seed: seed, results: results)
      print(json ? try Self.json(summary) : Self.text(summary))
      if !summary.passed { throw ExitCode(1) }
    }
  }

  /// One JSON object (sorted keys) on one line.
  static func json(_ s: CrashSweepSummary) throws -> String { try jsonText(s) }

  static func text(_ s: CrashSweepSummary) -> String {
    var lines = ["vhdsim faults: seed \(s.seed)"]
    for r in s.results {
      lines.append(
        "  \(r.operation.name) on \(r.srKind.name): W = \(r.writes), \(r.crashPointsTried) crash points, "
          + "\(r.recoveredOK) recovered ok, \(r.dataMismatches) data mismatches, \(r.checkFailures) check failures, "
          + "\(r.orphans) orphans, \(r.recoveryFailures) recovery failures"
          + " (\(r.guestWritesInterrupted) hit a guest write)" + (r.passed ? "" : "  FAILED"))
      if let f = r.referenceFailure { lines.append("    reference run failed: \(f)") }
      for f in r.failures { lines.append("    \(f)") }
    }
    lines.append(
      "total: \(s.crashPointsTried) crash points, \(s.recoveredOK) recovered ok, \(s.dataMismatches) data mismatches, "
        + "\(s.checkFailures) check failures, \(s.orphans) orphans, \(s.recoveryFailures) recovery failures"
        + (s.passed ? "" : "  FAILED"))
    return lines.joined(separator: "\n")
  }
}

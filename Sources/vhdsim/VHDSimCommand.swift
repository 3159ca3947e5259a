// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Foundation

@main
struct VHDSimCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vhdsim",
    abstract: "Simulation and performance model of VHD snapshot chains as Xen/XCP runs them.",
    discussion: """
      `vhdsim vhd` is a vhd-util-style tool on the real VHD engine (blktap-compatible files).
      `vhdsim demo` builds a snapshot chain and shows what each chain level costs.
      `vhdsim simulate` runs a VM's workload (built in, or a block trace with --replay) through a chain, \
      tapdisk and a disk model in simulated time.
      `vhdsim bench` runs the benchmarks (release build), side by side with qemu-img and SimPy.
      `vhdsim workload` summarises a block trace (blkparse, fio iolog, MSR) or a built-in generator.
      `vhdsim consistency` checks that snapshots taken in a running pool are crash-consistent.
      `vhdsim faults` crashes each SR operation at every physical write and checks recovery loses nothing.
      `vhdsim scenario validate` checks scenario files; `vhdsim run` runs them (or one --shard) with replicates.
      `vhdsim merge` combines shards into one run's outputs; `vhdsim compare` compares policies.
      `vhdsim metrics` lists every metric a run can produce (`--markdown`: docs/metrics.md).
      """,
    version: Version.text,
    subcommands: [
      VHDTool.self, DemoCommand.self, SimulateCommand.self, BenchCommand.self, WorkloadCommand.self,
      ConsistencyCommand.self, ScenarioCommand.self, RunCommand.self, MergeCommand.self, CompareCommand.self,
      FaultsCommand.self, MetricsCommand.self, DiskCommand.self, ValidateCommand.self,
    ]
  )

  /// Parses, runs, and reports any error in the one style ("vhdsim: " and one line, the usage line
  /// after a command-line error) with the exit status of `ExitStatus`.
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      Foundation.exit(report(error))
    }
  }

  /// Prints `error` (unless it was printed already) and returns its exit status. Help and
  /// `--version` requests go to the parser, which prints them and exits 0.
  static func report(_ error: any Error) -> Int32 {
    if let e = error as? ExitCode { return e.rawValue }
    if ExitStatus.of(error) != nil {
      printError("\(error)")
      return status(of: error)
    }
    if exitCode(for: error).isSuccess { exit(withError: error) }
    var message = fullMessage(for: error)
    if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
    printError(message)
    return status(of: error)
  }

  /// The exit status `error` ends the process with (see `ExitStatus`).
  static func status(of error: any Error) -> Int32 {
    if let e = error as? ExitCode { return e.rawValue }
    return ExitStatus.of(error) ?? exitCode(for: error).rawValue
  }
}

struct StandardError: TextOutputStream {
  mutating func write(_ string: String) { writeAll(fd: 2, Array(string.utf8)) }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes every byte to a file descriptor (1 = stdout, 2 = stderr), retrying short writes.
func writeAll(fd: Int32, _ bytes: [UInt8]) {
  bytes.withUnsafeBytes { buf in
    var done = 0
    while done < buf.count {
      let n = write(fd, buf.baseAddress! + done, buf.count - done)
      if n <= 0 {
        if n < 0 && errno == EINTR { continue }
        return
      }
      done += n
    }
  }
}

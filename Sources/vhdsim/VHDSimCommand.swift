// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser

@main
struct VHDSimCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vhdsim",
    abstract: "Simulation and performance model of VHD snapshot chains as Xen/XCP runs them.",
    discussion: """
      `vhdsim vhd` is a vhd-util-style tool on the real VHD engine (blktap-compatible files).
      `vhdsim demo` builds a snapshot chain and shows what each chain level costs.
      `vhdsim simulate` runs a VM's workload (built in, or a block trace with --replay) through a chain,
      tapdisk and a disk model in simulated time.
      `vhdsim bench` runs the benchmarks (release build), side by side with qemu-img and SimPy.
      `vhdsim workload` summarises a block trace (blkparse, fio iolog, MSR) or a built-in generator.
      `vhdsim consistency` checks that snapshots taken in a running pool are crash-consistent.
      `vhdsim faults` crashes each SR operation at every physical write and checks recovery loses nothing.
      `vhdsim scenario validate` checks scenario files; `vhdsim run` runs them (or one --shard) with replicates.
      `vhdsim merge` combines shards into one run's outputs; `vhdsim compare` compares policies.
      `vhdsim metrics` lists every metric a run can produce (`--markdown`: docs/metrics.md).
      """,
    subcommands: [
      VHDTool.self, DemoCommand.self, SimulateCommand.self, BenchCommand.self, WorkloadCommand.self,
      ConsistencyCommand.self, ScenarioCommand.self, RunCommand.self, MergeCommand.self, CompareCommand.self,
      FaultsCommand.self, MetricsCommand.self, DiskCommand.self, ValidateCommand.self,
    ]
  )
}

/// Prints one clear line to standard error and exits non-zero: the CLI's contract for errors.
func fail(_ error: any Error) -> ExitCode {
  printError("vhdsim: \(error)")
  return ExitCode(1)
}

func printError(_ text: String) {
  var stderr = StandardError()
  print(text, to: &stderr)
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

/// Runs `body`, turning any thrown error into the one-line message and a non-zero exit.
func runReportingErrors(_ body: () throws -> Void) throws {
  do { try body() } catch let e as ExitCode { throw e } catch let e as CleanExit { throw e } catch {
    throw fail(error)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Benchmarking

/// `vhdsim bench NAME`: one benchmark, one JSON object with named figures (`--json`) or text.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Run a benchmark (build with -c release): export, chain-read, coalesce, kernel, end-to-end.",
    discussion: """
      export      1 GiB dynamic VHD, half its blocks partly written, flattened to raw by vhdsim and by
                  `qemu-img convert -f vpc -O raw` on the same file (outputs compared).
      chain-read  random 4 KiB reads through chains of depth 1, 4, 16, 30 (in-memory, warm cache),
                  BATmap on and off, full blocks in the base and partial blocks at every level.
      coalesce    a fully written (and a half-written) 1 GiB child coalesced into its parent on sparse files.
      end-to-end  simulated guest requests per wall second through the whole pool (random 4 KiB reads and
                  writes, chain depth 16, metrics on), metadata-only and in-memory devices; peak RSS.
      kernel      event-queue hold model (1,000 pending) and M/M/1, beside the same models in SimPy.
      """)

  enum Name: String, ExpressibleByArgument, CaseIterable {
    case export
    case chainRead = "chain-read"
    case coalesce
    case endToEnd = "end-to-end"
    case kernel
  }

  @Argument(help: "Benchmark: \(Name.allCases.map(\.rawValue).joined(separator: ", ")).") var name: Name
  @Flag(help: "Print one JSON object.") var json = false
  @Option(
    name: .customLong("size-mib"),
    help: "Size in MiB (export and coalesce: default 1024; chain-read: default 256; end-to-end: default 512)."
  ) var sizeMiB: UInt64?

  func run() throws {
    try runReportingErrors {
      let report: BenchReport
      switch name {
      case .export: report = try EngineBenchmarks.export(size: (sizeMiB ?? 1024) << 20)
      case .chainRead: report = try EngineBenchmarks.chainRead(size: (sizeMiB ?? 256) << 20)
      case .coalesce: report = try EngineBenchmarks.coalesce(size: (sizeMiB ?? 1024) << 20)
      case .endToEnd: report = try PoolBenchmark.endToEnd(size: (sizeMiB ?? 512) << 20)
      case .kernel: report = try KernelBenchmarks.run()
      }
      print(json ? report.json : report.text)
    }
  }
}

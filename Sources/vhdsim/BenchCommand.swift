// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Benchmarking
import Foundation
import VHD
import Workloads

/// `vhdsim bench`: without a name, the regression suite judged against a baseline; with a name,
/// one benchmark, one JSON object with named figures (`--json`) or text.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Regression suite against a baseline, or one benchmark (build with -c release).",
    discussion: """
      Without NAME: the regression suite (reads per chain depth, allocating writes, export, coalesce, \
      kernel, pool end to end). Counters are compared exactly with --baseline (default \
      Benchmarks/baseline.json when it exists); timings are samples divided by a reference loop timed \
      in the same run, judged with Welch's test: over 10% slower warns, over 2× fails. Writes a \
      Markdown table to stdout and to Reports/bench/latest.md (--report), JSON with --json. \
      --save FILE writes a new baseline. Exit status 1 when the gate fails.

      export      1 GiB dynamic VHD, half its blocks partly written, flattened to raw by vhdsim and by \
      `qemu-img convert -f vpc -O raw` on the same file (outputs compared).
      chain-read  random 4 KiB reads through chains of depth 1, 4, 16, 30 (in-memory, warm cache), \
      BATmap on and off, full blocks in the base and partial blocks at every level.
      coalesce    a fully written (and a half-written) 1 GiB child coalesced into its parent on sparse files.
      end-to-end  simulated guest requests per wall second through the whole pool (random 4 KiB reads and \
      writes, chain depth 16, metrics on), metadata-only and in-memory devices; peak RSS.
      kernel      event-queue hold model (1,000 pending) and M/M/1, beside the same models in SimPy.
      fleet       200 VMs × 50 GiB on a thin LVM SR, nightly backups keeping 7, GC on, 30 simulated days \
      (metadata-only devices), guests at 0.005 requests/s each: wall seconds and peak RSS (--vms, --days, \
      --disk-gib, --iops, --srs to scale; --sizes for a request size mix; --resolution epoch for bulk \
      guest I/O, --epoch for its interval bound).
      epoch       epoch resolution's cost: the bulk write sampler per write (uniform and Zipf) and \
      markWritten per touched block, one VM-hour at a time at 20 requests/s on a 50 GiB disk.
      """)

  enum Name: String, ExpressibleByArgument, CaseIterable {
    case export
    case chainRead = "chain-read"
    case coalesce
    case endToEnd = "end-to-end"
    case kernel
    case fleet
    case epoch
  }

  @Argument(help: "Benchmark: \(Name.allCases.map(\.rawValue).joined(separator: ", ")); none = the suite.")
  var name: Name?
  @Flag(help: "Print one JSON object.") var json = false
  @Option(help: "fleet: VMs (default 200).") var vms: Int?
  @Option(help: "fleet: simulated days (default 30).") var days: Int?
  @Option(name: .customLong("disk-gib"), help: "fleet: disk size per VM in GiB (default 50).") var diskGiB:
    Int?
  @Option(help: "fleet: guest requests per second per VM, half writes (default 0.005).") var iops: Double?
  @Option(help: "fleet: independent thin LVM SRs the VMs are spread over (default 1).") var srs: Int?
  @Option(help: "fleet: guest I/O resolution, request or epoch (default request).")
  var resolution: FleetResolution?
  @Option(
    help: ArgumentHelp(
      "fleet: longest epoch-resolution interval in seconds (default 3600).", valueName: "seconds"))
  var epoch: Double?
  @Option(
    help: ArgumentHelp(
      "fleet: request sizes as a fio bssplit mix (default: every request 1 MiB).", valueName: "mix"))
  var sizes: String?
  @Flag(help: "Suite: fewer repetitions, shorter pool run (CI).") var quick = false
  @Option(help: ArgumentHelp("Suite: baseline to compare with.", valueName: "file")) var baseline: String?
  @Option(help: ArgumentHelp("Suite: write this run as a new baseline.", valueName: "file")) var save: String?
  @Option(help: ArgumentHelp("Suite: Markdown report file.", valueName: "file")) var report =
    "Reports/bench/latest.md"
  @Flag(help: "Engine switch: ignore the BATmap (reads consult bitmaps).") var noBatmap = false
  @Option(help: "Engine switch: bitmaps cached per image (tapdisk: 32).") var bitmapCacheEntries: Int?
  @Option(
    name: .customLong("size-mib"),
    help: "Size in MiB (export and coalesce: default 1024; chain-read: default 256; end-to-end: default 512)."
  ) var sizeMiB: UInt64?
  @OptionGroup var progressOptions: ProgressOptions

  func run() throws {
    guard let name else { return try runSuite() }
    try runReportingErrors {
      let report: BenchReport
      switch name {
      case .export: report = try EngineBenchmarks.export(size: (sizeMiB ?? 1024) << 20)
      case .chainRead: report = try EngineBenchmarks.chainRead(size: (sizeMiB ?? 256) << 20)
      case .coalesce: report = try EngineBenchmarks.coalesce(size: (sizeMiB ?? 1024) << 20)
      case .endToEnd: report = try PoolBenchmark.endToEnd(size: (sizeMiB ?? 512) << 20)
      case .kernel: report = try KernelBenchmarks.run()
      case .fleet:
        let progress = progressOptions.line("fleet")
        report = try FleetBenchmark.run(fleetParameters) { progress?.update($0) }
        progress?.finish()
      case .epoch: report = try EpochBenchmark.run()
      }
      print(json ? report.json : report.text)
    }
  }

  /// The fleet's options (defaults where absent).
  var fleetParameters: FleetBenchmark.Parameters {
    .init(
      vms: vms ?? 200, days: days ?? 30, diskGiB: diskGiB ?? 50, iops: iops ?? 0.005, srs: srs ?? 1,
      resolution: resolution?.rawValue ?? "request", sizes: sizes, epochSeconds: epoch ?? 3600)
  }

  /// The fleet's options must be positive (checked before anything runs).
  func validate() throws {
    let p = fleetParameters
    guard p.vms > 0 else { throw ValidationError("--vms takes 1 or more") }
    guard p.days > 0 else { throw ValidationError("--days takes 1 or more") }
    guard p.diskGiB > 0 else { throw ValidationError("--disk-gib takes 1 or more") }
    guard p.iops > 0, p.iops.isFinite else { throw ValidationError("--iops takes a number above 0") }
    guard p.epochSeconds > 0, p.epochSeconds.isFinite else {
      throw ValidationError("--epoch takes a number above 0")
    }
    if epoch != nil && p.resolution != "epoch" { throw ValidationError("--epoch needs --resolution epoch") }
    guard (1...p.vms).contains(p.srs) else { throw ValidationError("--srs takes 1 to the number of VMs") }
    if let sizes = p.sizes {
      do { _ = try SizeMix(parsing: sizes) } catch { throw ValidationError("--sizes: \(error)") }
    }
  }

  func runSuite() throws {
    var engine = EngineOptions(useBATMap: !noBatmap)
    if let n = bitmapCacheEntries {
      guard n >= 0 else { throw ValidationError("--bitmap-cache-entries takes 0 or more") }
      engine.bitmapCacheCapacity = n
    }
    try runReportingErrors {
      let progress = progressOptions.line("bench")
      let options = RegressionSuite.Options(quick: quick, engine: engine)
      // Each step is announced as it begins: the fraction done is the steps before it.
      let total = Double(RegressionSuite.steps(options))
      var begun = 0.0
      let run = try RegressionSuite.run(options) { _ in
        progress?.update(begun / total)
        begun += 1
      }
      progress?.update(1)
      progress?.finish()
      if let save {
        try Baseline(run: run, note: quick ? "quick suite" : "full suite").save(save)
        printError("baseline written to \(save)")
      }
      let baselinePath =
        baseline
        ?? (FileManager.default.fileExists(atPath: "Benchmarks/baseline.json")
          ? "Benchmarks/baseline.json" : nil)
      guard let baselinePath else {
        if json { try printJSON(run) }
        return
      }
      let gate = RegressionGate().compare(run, with: try Baseline.load(baselinePath))
      let markdown =
        "# vhdsim bench\n\nBaseline: \(baselinePath)\(noBatmap ? ", --no-batmap" : "")\(bitmapCacheEntries.map { ", --bitmap-cache-entries \($0)" } ?? "")\n\n"
        + gate.markdown + "\n"
      try? FileManager.default.createDirectory(
        atPath: (report as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try markdown.write(toFile: report, atomically: true, encoding: .utf8)
      if json { try printJSON(run) } else { print(markdown) }
      if gate.failed {
        throw GateError("bench gate failed: " + gate.failures.joined(separator: "; "))
      }
    }
  }

  func printJSON(_ run: RegressionSuite.Run) throws { print(try jsonText(run)) }
}

/// `bench fleet --resolution`: the scenario key's two values.
enum FleetResolution: String, ExpressibleByArgument, CaseIterable {
  case request, epoch
}

// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Workloads

/// `vhdsim workload`: look at a request stream before simulating it — a trace file, or a preset
/// generator — through the same summary (counts, bytes, sizes, addresses).
struct WorkloadCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "workload",
    abstract: "Summarise a block trace or a built-in workload generator.",
    subcommands: [Replay.self, Describe.self]
  )

  struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Parse a trace (blkparse text, fio iolog v2/v3, MSR Cambridge CSV) and summarise it.",
      discussion: """
        The trace is read line by line. blkparse: only lines of the chosen action become requests \
        (default Q: what the guest asked for, before merges); discards are skipped and counted. \
        A malformed line stops the run with FILE:LINE and what was expected there.
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case blkparse, fio, msr }

    @Argument(help: "The trace file.") var file: String
    @Option(help: "Trace format: blkparse, fio, msr (default: detected from the content).") var format:
      Format?
    @Option(help: "blkparse action whose lines become requests (Q, G, I, D, C).") var action = "Q"
    @Option(help: "Multiply trace times by this (2 = half speed).") var timeScale = 1.0
    @Option(help: "Multiply trace sectors by this.") var addressScale = 1.0
    @Option(help: "Add this many sectors to every address (after scaling).") var addressOffset: Int64 = 0
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
      guard timeScale.isFinite, timeScale >= 0 else { throw ValidationError("--time-scale must be ≥ 0") }
      guard addressScale.isFinite, addressScale > 0 else {
        throw ValidationError("--address-scale must be positive")
      }
      guard !action.isEmpty else { throw ValidationError("--action must not be empty") }
    }

    func run() throws {
      try runReportingErrors {
        let detected =
          try format.map { TraceFormat(rawValue: $0.rawValue)! } ?? TraceFormat.detect(path: file)
        var replay = try TraceReplay(
          path: file, format: detected,
          options: TraceReplayOptions(
            action: action, timeScale: timeScale, addressScale: addressScale, addressOffset: addressOffset))
        var summary = WorkloadSummary()
        while let request = try replay.nextRequest() {
          summary.record(request)
        }
        summary.discards = replay.discards
        print(json ? summary.json : summary.text)
      }
    }
  }

  struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Generate requests from a preset and summarise them.",
      discussion: """
        Presets: random-4k (4 KiB random, 70 % reads, depth 8), sequential-1m (1 MiB sequential \
        writes), zipf-hot (4k/60:16k/25:64k/15, Zipf θ=1.2, 1 % flushes, Poisson 2000/s), \
        fragmenting (4 KiB writes scattered over every 2 MiB block; also prints the fraction of \
        touched blocks whose sector bitmap ended full), yum-install (a kernel package: ~4,000 files \
        through an ext4-like layout, journal commits, rpmdb, initramfs), yum-small (a 50-file package). \
        Requests complete instantly here, so \
        closed-loop presets report a duration of 0; open-loop ones (zipf-hot) their arrival span.
        """)

    @Argument(help: "random-4k, sequential-1m, zipf-hot, fragmenting, yum-install or yum-small.")
    var preset: String
    @Option(help: "Requests to generate.") var requests = 10_000
    @Option(help: "Seed of the preset's random streams.") var seed: UInt64 = 1
    @Option(help: "Virtual disk size in MiB.") var diskMib: UInt64 = 16_384
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
      guard requests >= 0 else { throw ValidationError("--requests must not be negative") }
      guard diskMib >= 2 else { throw ValidationError("--disk-mib must be at least 2") }
    }

    func run() throws {
      try runReportingErrors {
        guard let p = WorkloadPreset(rawValue: preset) else {
          let names = WorkloadPreset.allCases.map(\.rawValue).joined(separator: ", ")
          throw WorkloadError("unknown preset \"\(preset)\" (choose one of \(names))")
        }
        let diskSectors = diskMib << 11
        var generator = try p.makeGenerator(requests: requests, seed: seed, diskSectors: diskSectors)
        let summary = summarize(&generator, addressSpaceSectors: diskSectors)
        print(json ? summary.json : summary.text)
      }
    }
  }
}

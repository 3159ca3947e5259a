// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Foundation
import Pool
import Simulation
import VHD

/// `vhdsim simulate`: one VM with a built-in workload against one VDI whose chain is built first, on a
/// simulated disk; prints what the run measured.
struct SimulateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "simulate",
    abstract: "Simulate a VM's I/O through a snapshot chain, tapdisk and a physical disk model.",
    discussion: """
      The chain is built before the run: a base with its first half written in full, then DEPTH−1 \
      snapshots, each followed by 64 random 4 KiB writes, so most reads fall through to the base. \
      Time is simulated; the engine does the real work on an in-memory device.
      """)

  enum Disk: String, ExpressibleByArgument, CaseIterable { case sata7200, nvme, iscsi }
  enum SR: String, ExpressibleByArgument, CaseIterable { case file, lvm }
  enum Device: String, ExpressibleByArgument, CaseIterable { case memory, metadata }

  @Option(help: "Chain depth built before the run (1 = base only).") var depth = 8
  @OptionGroup var load: SimulateWorkloadOptions
  @Option(help: "Physical disk model: sata7200, nvme, iscsi.") var disk: Disk = .nvme
  @Option(help: "SR type: file (1 MiB extents as files grow) or lvm (4 MiB extents per LV).") var sr: SR =
    .file
  @Option(help: "Device for the VHD files: memory (every byte) or metadata (metadata only).") var device:
    Device = .metadata
  @Option(help: "Virtual disk size in MiB.") var sizeMib: UInt64 = 1024
  @Option(help: "Simulated seconds to run.") var duration = 10.0
  @Option(help: "Seed of every random stream.") var seed: UInt64 = 1
  @Flag(help: "Do not take the BATmap shortcut.") var noBatmap = false
  @Option(help: "Bitmaps cached per image (tapdisk: 32).") var bitmapCache = EngineOptions
    .tapdiskBitmapCacheSize
  @Option(help: "Write one CSV line per request to FILE (small runs).") var trace: String?
  @Flag(help: "Print one JSON object.") var json = false
  @OptionGroup var progressOptions: ProgressOptions

  func validate() throws {
    guard (1...VHDLimits.maximumChainDepth).contains(depth) else {
      throw ValidationError("--depth must be 1...\(VHDLimits.maximumChainDepth)")
    }
    guard duration > 0, duration.isFinite else { throw ValidationError("--duration must be positive") }
    guard bitmapCache >= 0 else { throw ValidationError("--bitmap-cache must not be negative") }
    guard sizeMib >= 2, sizeMib % 2 == 0 else {
      throw ValidationError("--size-mib must be a positive multiple of 2")
    }
  }

  func run() throws {
    try runReportingErrors {
      let scenario = PoolScenario(
        chain: ChainSpec(
          depth: depth, virtualSize: sizeMib << 20, baseFill: 0.5, writesPerSnapshot: 64, seed: seed),
        workload: load.spec,
        disk: PoolScenario.DiskPreset(rawValue: disk.rawValue)!, sr: sr == .file ? .file : .lvm,
        device: device == .memory ? .memory : .metadata,
        engine: EngineOptions(bitmapCacheCapacity: bitmapCache, useBATMap: !noBatmap),
        duration: .seconds(duration), seed: seed, sampleInterval: .seconds(duration / 20),
        recordTrace: trace != nil)
      let progress = progressOptions.line("simulate")
      let result = try scenario.run { progress?.update($0) }
      progress?.finish()
      if let trace {
        do {
          try result.traceCSV.write(toFile: trace, atomically: true, encoding: .utf8)
        } catch {
          throw PoolError("cannot write the trace to \(trace): \(error.localizedDescription)")
        }
      }
      if json {
        print(result.json)
      } else {
        print(
          "vhdsim simulate: depth \(depth), \(load.description)"
            + ", \(disk.rawValue), \(sr.rawValue) SR, "
            + "\(device.rawValue) device, BATmap \(noBatmap ? "off" : "on"), bitmap cache \(bitmapCache), seed \(seed)"
        )
        print(result.summaryText)
      }
    }
  }
}

/// `vhdsim simulate`'s built-in workload: pattern, read mix, request size, closed loop or Poisson.
struct SimulateWorkloadOptions: ParsableArguments {
  enum Workload: String, ExpressibleByArgument, CaseIterable { case random, sequential }

  @Option(help: "Access pattern: random, sequential.") var workload: Workload = .random
  @Option(help: "Fraction of requests that are reads (0...1).") var readFraction = 0.7
  @Option(help: "Request size in KiB (a multiple of 4).") var blockSizeKib = 4
  @Option(help: "Requests kept outstanding (closed loop).") var iodepth = 8
  @Option(help: "Open-loop Poisson arrivals per second instead of a closed loop.") var rate: Double?

  func validate() throws {
    guard blockSizeKib > 0, blockSizeKib % 4 == 0 else {
      throw ValidationError("--block-size-kib must be a multiple of 4")
    }
    guard iodepth > 0 else { throw ValidationError("--iodepth must be positive") }
  }

  var spec: WorkloadSpec {
    WorkloadSpec(
      pattern: workload == .random ? .random : .sequential, readFraction: readFraction,
      requestBytes: blockSizeKib * 1024,
      arrivals: rate.map { .openLoop(ratePerSecond: $0) } ?? .closedLoop(ioDepth: iodepth))
  }

  /// As the command's first line names it.
  var description: String {
    "\(workload.rawValue) \(blockSizeKib) KiB, read fraction \(readFraction), "
      + (rate.map { "Poisson \($0)/s" } ?? "iodepth \(iodepth)")
  }
}

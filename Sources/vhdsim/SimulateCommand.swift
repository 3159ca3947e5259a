// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Experiments
import Foundation
import Pool
import Simulation
import VHD
import Workloads

/// `vhdsim simulate`: one VM with a built-in workload (or a replayed trace) against one VDI whose chain
/// is built first, on a simulated disk; prints what the run measured.
struct SimulateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "simulate",
    abstract: "Simulate a VM's I/O through a snapshot chain, tapdisk and a physical disk model.",
    discussion: """
      The chain is built before the run: a base with its first half written in full, then DEPTH−1 \
      snapshots, each followed by 64 random 4 KiB writes, so most reads fall through to the base. \
      Time is simulated; the engine does the real work on an in-memory device.

      --replay FILE drives the VM with a block trace (blkparse text, fio iolog v2/v3, MSR CSV; the \
      format is detected from the content) instead of the built-in workload: by default the whole \
      trace once at its own timestamps, the run ending when its last request completes, nothing cut \
      as warm-up. --duration repeats it until then; --iodepth replays it closed loop. \
      See docs/scenarios.md#trace-workloads.
      """)

  enum SR: String, ExpressibleByArgument, CaseIterable { case file, lvm }
  enum Device: String, ExpressibleByArgument, CaseIterable { case memory, metadata }

  @Option(help: "Chain depth built before the run (1 = base only).") var depth = 8
  @OptionGroup var load: SimulateWorkloadOptions
  @OptionGroup var diskOptions: SimulateDiskOptions
  @Option(help: "SR type: file (1 MiB extents as files grow) or lvm (4 MiB extents per LV).") var sr: SR =
    .file
  @Option(help: "Device for the VHD files: memory (every byte) or metadata (metadata only).") var device:
    Device = .metadata
  @Option(help: "Virtual disk size in MiB.") var sizeMib: UInt64 = 1024
  @Option(help: "Simulated seconds to run (default 10; with --replay: the trace once).") var duration: Double?
  @Option(help: "Seed of every random stream.") var seed: UInt64 = 1
  @OptionGroup var engineOptions: SimulateEngineOptions
  @Option(help: "Write one CSV line per request to FILE (small runs).") var trace: String?
  @OptionGroup var replay: SimulateReplayOptions
  @Option(
    help: "Warm-up cut from every metric: mser5, none or SECONDS (default mser5; with --replay: none).")
  var warmup: String?
  @Flag(help: "Print one JSON object.") var json = false
  @OptionGroup var progressOptions: ProgressOptions

  func validate() throws {
    guard (1...VHDLimits.maximumChainDepth).contains(depth) else {
      throw ValidationError("--depth must be 1...\(VHDLimits.maximumChainDepth)")
    }
    if let duration, !(duration > 0 && duration.isFinite) {
      throw ValidationError("--duration must be positive")
    }
    _ = try warmupRule()
    guard engineOptions.bitmapCache >= 0 else { throw ValidationError("--bitmap-cache must not be negative") }
    guard sizeMib >= 2, sizeMib % 2 == 0 else {
      throw ValidationError("--size-mib must be a positive multiple of 2")
    }
  }

  /// `--warmup` as a rule; its default depends on whether a trace is replayed.
  func warmupRule() throws -> WarmupRule {
    switch warmup {
    case nil: return replay.file == nil ? .mser5 : .none
    case "mser5": return .mser5
    case "none": return .none
    case let text?:
      guard let s = Double(text), s > 0, s.isFinite else {
        throw ValidationError("--warmup must be mser5, none or a positive number of seconds, found \(text)")
      }
      return .fixed(.seconds(s))
    }
  }

  /// The run the options describe.
  func scenario() throws -> PoolScenario {
    let seconds = duration ?? 10
    var scenario = PoolScenario(
      chain: ChainSpec(
        depth: depth, virtualSize: sizeMib << 20, baseFill: 0.5, writesPerSnapshot: 64, seed: seed),
      workload: load.spec,
      disk: try diskProfile(), sr: sr == .file ? .file : .lvm,
      device: device == .memory ? .memory : .metadata,
      engine: EngineOptions(
        bitmapCacheCapacity: engineOptions.bitmapCache, useBATMap: !engineOptions.noBatmap),
      duration: .seconds(seconds), seed: seed, sampleInterval: .seconds(seconds / 20),
      recordTrace: trace != nil)
    scenario.warmup = try warmupRule()
    if let spec = try replay.spec(iodepth: load.iodepth, repeats: duration != nil) {
      scenario.trace = spec
      // A trace replayed once ends when it ends; periodic samples would keep the run going.
      if !spec.repeats { scenario.sampleInterval = nil }
    }
    return scenario
  }

  /// The disk profile `--disk` names (a preset, a profile file or a profile name), at its means with
  /// `--no-disk-variability`.
  func diskProfile() throws -> DiskProfile {
    var profile: DiskProfile
    do { profile = try DiskProfileFile.resolve(diskOptions.disk) } catch { throw PoolError("\(error)") }
    if diskOptions.noDiskVariability { profile.variability = false }
    return profile
  }

  func run() throws {
    try runReportingErrors {
      let scenario = try scenario()
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
        let what = replay.file.map { "replay of \($0)" } ?? load.description
        print(
          "vhdsim simulate: depth \(depth), \(what)"
            + ", \(scenario.disk.name)\(diskOptions.noDiskVariability ? " (no variability)" : ""), \(sr.rawValue) SR, "
            + "\(device.rawValue) device, BATmap \(engineOptions.noBatmap ? "off" : "on"), bitmap cache \(engineOptions.bitmapCache), seed \(seed)"
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
  @Option(help: "Requests kept outstanding (closed loop; default 8; with --replay: replay closed loop).")
  var iodepth: Int?
  @Option(help: "Open-loop Poisson arrivals per second instead of a closed loop.") var rate: Double?

  func validate() throws {
    guard blockSizeKib > 0, blockSizeKib % 4 == 0 else {
      throw ValidationError("--block-size-kib must be a multiple of 4")
    }
    if let iodepth, iodepth < 1 { throw ValidationError("--iodepth must be positive") }
  }

  var spec: WorkloadSpec {
    WorkloadSpec(
      pattern: workload == .random ? .random : .sequential, readFraction: readFraction,
      requestBytes: blockSizeKib * 1024,
      arrivals: rate.map { .openLoop(ratePerSecond: $0) } ?? .closedLoop(ioDepth: iodepth ?? 8))
  }

  /// As the command's first line names it.
  var description: String {
    "\(workload.rawValue) \(blockSizeKib) KiB, read fraction \(readFraction), "
      + (rate.map { "Poisson \($0)/s" } ?? "iodepth \(iodepth ?? 8)")
  }
}

/// `vhdsim simulate --replay`: a block trace as the VM's workload (docs/scenarios.md#trace-workloads).
struct SimulateReplayOptions: ParsableArguments {
  enum Mapping: String, ExpressibleByArgument, CaseIterable { case offset, scale, wrap }

  @Option(name: .customLong("replay"), help: "Replay this block trace as the VM's workload.") var file:
    String?
  @Option(help: "Trace format: blkparse, fio, msr (default: detected from the content).") var format: String?
  @Option(help: "Replay only this device of the trace (blkparse MAJOR,MINOR; fio file; MSR HOST_DISK).")
  var traceDevice: String?
  @Option(help: "Multiply trace time by this (2: half speed).") var timeScale = 1.0
  @Option(help: "Trace sectors onto the VDI: offset, scale (fit the trace) or wrap (modulo its size).")
  var address: Mapping = .offset
  @Option(help: "MiB added to every trace address (offset, wrap).") var offsetMib: UInt64 = 0

  /// The trace workload, scanned; nil without `--replay`.
  func spec(iodepth: Int?, repeats: Bool) throws -> TraceWorkloadSpec? {
    guard let file else { return nil }
    var f: TraceFormat?
    if let format {
      guard let known = TraceFormat(rawValue: format) else {
        throw ValidationError("--format must be one of blkparse, fio, msr, found \(format)")
      }
      f = known
    }
    guard timeScale > 0, timeScale.isFinite else { throw ValidationError("--time-scale must be positive") }
    var spec = try TraceWorkloadSpec.scanning(path: file, format: f)
    if let traceDevice {
      guard spec.profile.devices.contains(where: { $0.name == traceDevice }) else {
        throw ValidationError(
          "--trace-device: \(file) has no device \(traceDevice); it has "
            + spec.profile.devices.map(\.name).joined(separator: ", "))
      }
      spec.device = traceDevice
    }
    spec.timeScale = timeScale
    spec.mapping = TraceWorkloadSpec.AddressMapping(rawValue: address.rawValue)!
    spec.offsetSectors = offsetMib << 11
    if let iodepth { spec.pacing = .closedLoop(ioDepth: iodepth) }
    spec.repeats = repeats
    return spec
  }
}

/// `vhdsim simulate`'s disk: the profile and whether its service times vary.
struct SimulateDiskOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Disk profile: a preset (sata7200, nvme, iscsi, sata-ssd), a profile file, or NAME for Profiles/disks/NAME.yaml.",
      valueName: "profile"))
  var disk = "nvme"
  @Flag(help: "Every disk service time at its profile's mean (no variability).") var noDiskVariability = false
}

/// `vhdsim simulate`'s engine switches, as tapdisk's.
struct SimulateEngineOptions: ParsableArguments {
  @Flag(help: "Do not take the BATmap shortcut.") var noBatmap = false
  @Option(help: "Bitmaps cached per image (tapdisk: 32).") var bitmapCache = EngineOptions
    .tapdiskBitmapCacheSize
}

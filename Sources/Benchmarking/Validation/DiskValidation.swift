// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Pool
import Simulation
import VHD

/// `vhdsim validate`: the same guest workload through the same chains, for real on the device
/// (`RealChainRun`, `repeats` times) and simulated once with a disk profile (`SimulatedChainRun`),
/// compared case by case (docs/simulation.md#validation).
public struct DiskValidation {
  public var profile: DiskProfile
  public var depths: [Int]
  public var iodepths: [Int]
  /// The workload's share of reads (`--read-fraction`).
  public var readFraction = 0.7
  /// The share of each chain's base written when it is built (`--base-fill`): a read elsewhere finds
  /// no data (no I/O at depth 1), a write elsewhere allocates.
  public var baseFill = 0.5
  /// Where the real chains are built (a folder on the device the profile describes).
  public var folder: String
  public var quick: Bool
  public var seed: UInt64 = 1
  /// Requests per case, each side and each run (quick: 400; else 12 000), in ``requestsRange``.
  public var requests: Int
  /// How many times each case's real side runs (``repeatsRange``); with more than one, each case
  /// carries the real side's spread (docs/simulation.md#repeats-and-the-noise-floor).
  public var repeats = 1
  /// Whether each round of real runs starts with the device check (fio on the device alone, beside
  /// the profile: `DeviceCheck`); skipped where fio is not installed.
  public var deviceCheck = true
  public var progress: (ValidationProgress) -> Void = { _ in }

  /// The repeats `run` accepts: one at least; at most twenty, so that a mistyped count does not hold
  /// the device for hours (each real run builds its chain anew).
  public static let repeatsRange = 1...20

  public init(profile: DiskProfile, depths: [Int], iodepths: [Int], folder: String, quick: Bool) {
    self.profile = profile
    self.depths = depths
    self.iodepths = iodepths
    self.folder = folder
    self.quick = quick
    requests = quick ? 400 : 12_000
  }

  /// The requests per case `run` accepts: enough for a p99 (a hundred, the quick form's order), and
  /// at most a million, whose latencies (8 bytes each, per run) still fit in memory many times over.
  public static let requestsRange = 100...1_000_000

  /// Throws unless `repeats` is in ``repeatsRange``.
  public static func check(repeats: Int) throws(ValidationOptionError) {
    guard repeatsRange.contains(repeats) else { throw .repeatsOutOfRange(repeats) }
  }

  /// Throws unless `requests` is in ``requestsRange``.
  public static func check(requests: Int) throws(ValidationOptionError) {
    guard requestsRange.contains(requests) else { throw .requestsOutOfRange(requests) }
  }

  /// Throws unless `readFraction` and `baseFill` are fractions (0 to 1).
  public static func check(readFraction: Double, baseFill: Double) throws(ValidationOptionError) {
    guard (0...1).contains(readFraction) else {
      throw .fractionOutOfRange(option: "read-fraction", readFraction)
    }
    guard (0...1).contains(baseFill) else { throw .fractionOutOfRange(option: "base-fill", baseFill) }
  }

  /// Virtual size of each chain (the quick form for CI: 64 MiB).
  var sizeBytes: UInt64 { quick ? 64 << 20 : 1 << 30 }
  static let engine = EngineOptions(
    bitmapCacheCapacity: EngineOptions.tapdiskBitmapCacheSize, useBATMap: true)

  /// What `run` measured: the cases, and the device check of each iodepth (empty when it did not run).
  public struct Outcome {
    public var cases: [ValidationCase]
    public var deviceChecks: [DeviceCheck]
  }

  /// Every case simulated first (deterministic CPU work: when it runs changes nothing), then the real
  /// runs in rounds, every case once a round, so that a slow drift of the host's load reaches every
  /// case alike instead of whichever case ran last; each round starts with the device check. Each
  /// real run builds its chain afresh.
  public func run() throws -> Outcome {
    try Self.check(repeats: repeats)
    try Self.check(requests: requests)
    try Self.check(readFraction: readFraction, baseFill: baseFill)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try DiskCalibrator.checkTarget(
      file: (folder as NSString).appendingPathComponent("probe"), sizeBytes: sizeBytes)
    let keys = depths.flatMap { d in iodepths.map { (depth: d, iodepth: $0) } }
    var done = 0
    func finished(_ step: String, repeatNow: Int?) {
      done += 1
      progress(
        ValidationProgress(
          done: done, total: keys.count * (repeats + 1), step: step, repeatNow: repeatNow, repeats: repeats))
    }
    var simulated: [ChainRunResult] = []
    for (n, k) in keys.enumerated() {
      simulated.append(try side(depth: k.depth, iodepth: k.iodepth).simulated.run())
      finished(
        "depth \(k.depth), iodepth \(k.iodepth): simulated", repeatNow: n == keys.count - 1 ? 1 : nil)
    }
    var real = [[ChainRunResult]](repeating: [], count: keys.count)
    let checker =
      deviceCheck
      ? DeviceCheckRunner(
        folder: folder, sizeBytes: sizeBytes, quick: quick, iodepths: iodepths, readFraction: readFraction)
      : nil
    defer { checker?.finish() }
    var checked = [[DeviceCheck.Round]](repeating: [], count: iodepths.count)
    for round in 1...repeats {
      if let checker {
        for (i, f) in try checker.round().enumerated() { checked[i].append(f) }
        progress(
          ValidationProgress(
            done: done, total: keys.count * (repeats + 1), step: "device check (fio), round \(round)",
            repeatNow: round, repeats: repeats))
      }
      for (n, k) in keys.enumerated() {
        real[n].append(
          try side(depth: k.depth, iodepth: k.iodepth).real.run(
            in: (folder as NSString).appendingPathComponent("chain")))
        finished(
          "depth \(k.depth), iodepth \(k.iodepth): real, repeat \(round) of \(repeats)",
          repeatNow: n == keys.count - 1 ? Swift.min(round + 1, repeats) : round)
      }
    }
    try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent("chain"))
    let cases = keys.indices.map {
      ValidationCase(
        depth: keys[$0].depth, iodepth: keys[$0].iodepth, readFraction: readFraction, real: real[$0],
        simulated: simulated[$0])
    }
    let checks: [DeviceCheck] =
      checker == nil
      ? []
      : iodepths.indices.map { i -> DeviceCheck in
        let profiled = DeviceCheck.predicted(profile, iodepth: iodepths[i], readFraction: readFraction)
        return DeviceCheck(
          iodepth: iodepths[i], readFraction: readFraction, iopsFio: checked[i].map(\.iops),
          meanUsFio: checked[i].map(\.meanUs), deviceFio: checked[i].compactMap(\.device),
          iopsProfile: profiled.iops, meanUsProfile: profiled.meanUs)
      }
    return Outcome(cases: cases, deviceChecks: checks)
  }

  /// Both sides of one case: the same chain spec, workload, engine and seed.
  func side(depth: Int, iodepth: Int) -> (real: RealChainRun, simulated: SimulatedChainRun) {
    let chain = ChainSpec(
      depth: depth, virtualSize: sizeBytes, baseFill: baseFill, writesPerSnapshot: 64, seed: seed)
    let workload = WorkloadSpec(readFraction: readFraction, arrivals: .closedLoop(ioDepth: iodepth))
    return (
      RealChainRun(chain: chain, workload: workload, engine: Self.engine, seed: seed, requests: requests),
      SimulatedChainRun(
        chain: chain, workload: workload, engine: Self.engine, profile: profile, seed: seed,
        requests: requests)
    )
  }
}

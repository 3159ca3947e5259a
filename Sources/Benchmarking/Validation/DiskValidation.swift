// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Pool
import Simulation
import VHD

/// `vhdsim validate`: the same guest workload through the same chains, once for real on the device
/// (`RealChainRun`) and once simulated with a disk profile, compared case by case
/// (docs/simulation.md#validation).
public struct DiskValidation {
  public var profile: DiskProfile
  public var depths: [Int]
  public var iodepths: [Int]
  public var readFraction = 0.7
  /// Where the real chains are built (a folder on the device the profile describes).
  public var folder: String
  public var quick: Bool
  public var seed: UInt64 = 1
  /// Requests per case, each side (quick: 400; else 12 000).
  public var requests: Int
  public var progress: (Int, Int, String) -> Void = { _, _, _ in }

  public init(profile: DiskProfile, depths: [Int], iodepths: [Int], folder: String, quick: Bool) {
    self.profile = profile
    self.depths = depths
    self.iodepths = iodepths
    self.folder = folder
    self.quick = quick
    requests = quick ? 400 : 12_000
  }

  /// Virtual size of each chain (the quick form for CI: 64 MiB).
  var sizeBytes: UInt64 { quick ? 64 << 20 : 1 << 30 }
  static let engine = EngineOptions(
    bitmapCacheCapacity: EngineOptions.tapdiskBitmapCacheSize, useBATMap: true)

  public func run() throws -> [ValidationCase] {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try DiskCalibrator.checkTarget(
      file: (folder as NSString).appendingPathComponent("probe"), sizeBytes: sizeBytes)
    var cases: [ValidationCase] = []
    let total = depths.count * iodepths.count
    for depth in depths {
      for iodepth in iodepths {
        cases.append(try runCase(depth: depth, iodepth: iodepth))
        progress(cases.count, total, "depth \(depth), iodepth \(iodepth)")
      }
    }
    try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent("chain"))
    return cases
  }

  func runCase(depth: Int, iodepth: Int) throws -> ValidationCase {
    let chain = ChainSpec(
      depth: depth, virtualSize: sizeBytes, baseFill: 0.5, writesPerSnapshot: 64, seed: seed)
    let workload = WorkloadSpec(readFraction: readFraction, arrivals: .closedLoop(ioDepth: iodepth))
    let real = try RealChainRun(
      chain: chain, workload: workload, engine: Self.engine, seed: seed, requests: requests
    )
    .run(in: (folder as NSString).appendingPathComponent("chain"))
    // The simulated SR must hold the chain however small a device the profile was measured on.
    var model = profile.model
    model.capacityBytes = Swift.max(model.capacityBytes, 64 << 30)
    let disk = DiskProfile(name: profile.name, path: profile.path, model: model, engineCPU: profile.engineCPU)
    let scenario = PoolScenario(
      chain: chain, workload: workload, disk: disk, sr: .file, device: .metadata, engine: Self.engine,
      seed: seed, recordTrace: true)
    // As many requests as the real run made: simulate in slices until that many completed, then keep
    // the first `requests` completions (the same part of the workload's request sequence).
    let pool = try scenario.makePool()
    var result = try pool.run(for: .milliseconds(20))
    while result.trace.count < requests && pool.now < .seconds(600) {
      result = try pool.run(for: .milliseconds(20))
    }
    let done = result.trace.sorted { $0.completed < $1.completed }.prefix(requests)
    let simulatedRequests = done.map {
      RequestClassComparison.Request(
        isWrite: $0.isWrite, physicalIOs: $0.iosByKind.reduce(0, +),
        latencyNs: Double(($0.completed - $0.issued).nanoseconds))
    }
    let simulated = simulatedRequests.map(\.latencyNs).sorted()
    let simIOs = done.reduce(0) { $0 + $1.iosByKind.reduce(0, +) }
    let simSeconds = (done.last?.completed ?? .zero).seconds
    let realSorted = real.requests.map(\.latencyNs).sorted()
    let realMean = realSorted.reduce(0, +) / Double(Swift.max(1, realSorted.count))
    let demerit = CDFComparison.demerit(real: realSorted, simulated: simulated)
    let q = CDFComparison.quantile
    return ValidationCase(
      depth: depth, iodepth: iodepth, readFraction: readFraction, requests: realSorted.count,
      iopsReal: Double(realSorted.count) / real.elapsedSeconds,
      iopsSimulated: Double(simulated.count) / Swift.max(1e-9, simSeconds),
      p50RealUs: q(realSorted, 0.5) / 1000, p50SimulatedUs: q(simulated, 0.5) / 1000,
      p99RealUs: q(realSorted, 0.99) / 1000, p99SimulatedUs: q(simulated, 0.99) / 1000,
      demeritUs: demerit / 1000, demeritPercent: 100 * demerit / realMean,
      physicalIOsPerRequestReal: Double(real.physicalIOs) / Double(Swift.max(1, realSorted.count)),
      physicalIOsPerRequestSimulated: Double(simIOs) / Double(Swift.max(1, simulated.count)),
      samples: ValidationSamples(
        realNs: realSorted, simulatedNs: simulated,
        classes: RequestClassComparison.compare(real: real.requests, simulated: simulatedRequests)))
  }
}

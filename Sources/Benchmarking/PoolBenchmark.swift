// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import Simulation
import StorageRepository
import VHD
import Workloads

/// End-to-end speed of the simulator: how many simulated guest requests (VM → tapdisk → engine →
/// placement → disk model → metrics) it completes per wall second, so that studies of millions of
/// requests stay interactive.
public enum PoolBenchmark {
  /// Random 4 KiB reads and writes (70 % reads, 32 outstanding) against a chain of `depth` levels on an
  /// NVMe model with metrics on, for the metadata-only and in-memory devices. Chain building is not
  /// timed. Reports requests per wall second (median of `repeats`) and peak RSS.
  public static func endToEnd(
    depth: Int = 16, size: UInt64 = 512 << 20, simulatedSeconds: Double = 3, repeats: Int = 3
  ) throws -> BenchReport {
    var report = BenchReport(name: "end-to-end")
    report.note(
      "workload", "random 4 KiB, 70% reads, iodepth 32, nvme, file SR, BATmap on, tapdisk bitmap cache")
    report.add("chain_depth", Double(depth))
    report.add("simulated_seconds", simulatedSeconds)
    for device in [PoolScenario.Device.metadata, .memory] {
      let scenario = PoolScenario(
        chain: ChainSpec(depth: depth, virtualSize: size, baseFill: 0.5, writesPerSnapshot: 64, seed: 16),
        workload: WorkloadSpec(readFraction: 0.7, requestBytes: 4096, arrivals: .closedLoop(ioDepth: 32)),
        disk: .nvme, sr: .file, device: device, duration: .seconds(simulatedSeconds))
      var rates: [Double] = []
      var requests = 0
      for _ in 0..<repeats {
        let pool = try scenario.makePool()
        var result = RunResult()
        let t = try seconds { result = try pool.run(for: scenario.duration) }
        requests = result.requests
        rates.append(Double(result.requests) / t)
      }
      report.add("requests_per_run_\(device.rawValue)", Double(requests))
      report.add("requests_per_wall_second_\(device.rawValue)", median(rates))
    }
    // The same pool driven by each Workloads generator (metadata-only device, a 4 GiB disk so the
    // kernel install fits): the generators must not be the bottleneck, so each rate is also given
    // relative to the built-in generator on the same chain (configured alike where it can be:
    // random 4 KiB and sequential 1 MiB; the random one otherwise).
    let genSize: UInt64 = 4 << 30
    let chain = ChainSpec(depth: depth, virtualSize: genSize, baseFill: 0.25, writesPerSnapshot: 64, seed: 16)
    /// The built-in generator configured like a preset, where one exists (the reference it is held to).
    func builtIn(like preset: WorkloadPreset) -> WorkloadSpec {
      preset == .sequential1m
        ? WorkloadSpec(
          pattern: .sequential, readFraction: 0, requestBytes: 1 << 20, arrivals: .closedLoop(ioDepth: 4))
        : WorkloadSpec(readFraction: 0.7, requestBytes: 4096, arrivals: .closedLoop(ioDepth: 8))
    }
    func rate(_ preset: WorkloadPreset, generator: Bool) throws -> Double {
      let scenario = PoolScenario(
        chain: chain, workload: builtIn(like: preset), disk: .nvme, sr: .file, device: .metadata,
        duration: .seconds(simulatedSeconds))
      var rates: [Double] = []
      for _ in 0..<repeats {
        let pool: PoolSimulation
        if generator {
          let storage = MemoryStorage(flavour: .metadataOnly)
          let sr = SR.forChains(
            storage: storage, kind: scenario.sr, capacity: scenario.disk.model.capacityBytes,
            engine: scenario.engine, seed: 1)
          let uuid = try chain.build(in: sr, nameLabel: "vdi")
          pool = try PoolSimulation(disk: scenario.disk.model, sr: sr, seed: 1)
          let vdi = try pool.attach(vdi: uuid, maxOutstanding: 64)
          try pool.addVM(
            vdi: vdi,
            generator: try preset.makeGenerator(requests: 50_000_000, seed: 1, diskSectors: genSize / 512))
        } else {
          pool = try scenario.makePool()
        }
        var result = RunResult()
        let t = try seconds { result = try pool.run(for: scenario.duration) }
        rates.append(Double(result.requests) / t)
      }
      return median(rates)
    }
    let randomReference = try rate(.random4k, generator: false)
    let sequentialReference = try rate(.sequential1m, generator: false)
    report.add("builtin_random_4k_requests_per_wall_second", randomReference)
    report.add("builtin_sequential_1m_requests_per_wall_second", sequentialReference)
    for preset in [WorkloadPreset.random4k, .sequential1m, .zipfHot, .fragmenting, .yumInstall] {
      let r = try rate(preset, generator: true)
      let name = preset.rawValue.replacingOccurrences(of: "-", with: "_")
      report.add("generator_\(name)_requests_per_wall_second", r)
      report.add(
        "generator_\(name)_ratio_to_builtin",
        r / (preset == .sequential1m ? sequentialReference : randomReference))
    }
    if let hwm = peakResidentBytes() { report.add("peak_rss_mib", Double(hwm) / 1_048_576) }
    return report
  }
}

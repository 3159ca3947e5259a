// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import Simulation
import VHD

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
    if let hwm = peakResidentBytes() { report.add("peak_rss_mib", Double(hwm) / 1_048_576) }
    return report
  }

  /// VmHWM from /proc/self/status (Linux), in bytes.
  static func peakResidentBytes() -> UInt64? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      if fields.count >= 2, let kib = UInt64(fields[1]) { return kib * 1024 }
    }
    return nil
  }
}

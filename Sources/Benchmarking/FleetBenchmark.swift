// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Pool

/// The capacity planner's month: 200 VMs with 50 GiB disks on a thin LVM SR, every VM backed up
/// nightly by a rolling snapshot that keeps 7, the GC coalescing behind the deletes, 30 simulated
/// days on metadata-only devices. It measures whether a month of a fleet stays a coffee-break run
/// (wall time, peak RSS) and reports what the fleet did (GC work, chain depth, space).
public enum FleetBenchmark {
  /// The fleet's size and load. `srs` and `resolution` are named here so the report states them;
  /// the scenario text today describes one SR at request resolution.
  public struct Parameters: Sendable, Equatable {
    public var vms = 200
    public var days = 30
    public var diskGiB = 50
    /// Guest requests per second per VM (half of them writes).
    public var iops = 0.005
    public var srs = 1
    public var resolution = "request"

    public init(vms: Int = 200, days: Int = 30, diskGiB: Int = 50, iops: Double = 0.005) {
      self.vms = vms
      self.days = days
      self.diskGiB = diskGiB
      self.iops = iops
    }
  }

  /// The study as a scenario, so it runs exactly as `vhdsim run` would run the same file.
  public static func scenario(_ p: Parameters = .init()) -> String {
    """
    name: bench-fleet
    description: \(p.vms) VMs with \(p.diskGiB) GiB disks on a thin LVM SR, nightly backups keeping 7, GC on.
    seed: 200
    duration: \(p.days * 86_400)
    sr: {kind: lvm, provisioning: thin}
    disk: {preset: iscsi, capacity_gib: \(Swift.max(1024, p.vms * p.diskGiB * 3))}
    device: metadata
    chain: {depth: 1, size_mib: \(p.diskGiB * 1024), base_fill: 0.2}
    vms:
      - count: \(p.vms)
        workload: {pattern: random, read_fraction: 0.5, block_size_kib: 1024, rate: \(p.iops)}
    snapshots:
      backups: {every: 86400, keep: 7, first: 3600}
    gc: {quiet_period: 0}
    """
  }

  /// `progress` receives the fraction of the simulated days done.
  public static func run(_ p: Parameters = .init(), progress: ((Double) -> Void)? = nil) throws -> BenchReport
  {
    var report = BenchReport(name: "fleet")
    report.note(
      "setup",
      "\(p.vms) VMs × \(p.diskGiB) GiB, LVM thin, iSCSI, nightly backups keep 7, GC snapshot-coalesce, "
        + "1 MiB random requests at \(p.iops)/s per VM (50% writes), metadata-only devices")
    report.note("resolution", p.resolution)
    let s = try Scenario.parse(yaml: scenario(p), file: "<bench fleet>")
    let run = s.runs()[0]
    var result = RunResult()
    let wall = try seconds { result = try ScenarioRunner.execute(run, progress: progress) }
    let gc = result.gc?.metrics ?? [:]
    report.add("vdis", Double(p.vms))
    report.add("srs", Double(p.srs))
    report.add("simulated_days", Double(p.days))
    report.add("iops_per_vm", p.iops)
    report.add("wall_seconds", wall)
    if let hwm = peakResidentBytes() { report.add("peak_rss_mib", Double(hwm) / 1_048_576) }
    report.add("guest_requests", Double(result.requests))
    for key in [
      "gc_coalesces", "gc_garbage_collected", "gc_bytes_copied", "gc_busy_s", "chain_depth_max",
      "chain_depth_after_gc", "space_peak_bytes", "gc_failed_targets",
    ] {
      report.add(key, gc[key] ?? 0)
    }
    report.add("sr_operation_errors", Double(result.gc?.operationErrors.count ?? 0))
    return report
  }
}

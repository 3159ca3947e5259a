// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Pool

/// The capacity planner's month: 200 VMs with 50 GiB disks on a thin LVM SR, every VM backed up
/// nightly by a rolling snapshot that keeps 7, the GC coalescing behind the deletes, 30 simulated
/// days on metadata-only devices. It measures whether a month of a fleet stays a coffee-break run
/// (wall time, peak RSS) and reports what the fleet did (GC work, chain depth, space).
public enum FleetBenchmark {
  /// The study as a scenario, so it runs exactly as `vhdsim run` would run the same file.
  public static func scenario(vms: Int = 200, days: Int = 30, diskGiB: Int = 50) -> String {
    """
    name: bench-fleet
    description: \(vms) VMs with \(diskGiB) GiB disks on a thin LVM SR, nightly backups keeping 7, GC on.
    seed: 200
    duration: \(days * 86_400)
    sr: {kind: lvm, provisioning: thin}
    disk: {preset: iscsi, capacity_gib: \(Swift.max(1024, vms * diskGiB * 3))}
    device: metadata
    chain: {depth: 1, size_mib: \(diskGiB * 1024), base_fill: 0.2}
    vms:
      - count: \(vms)
        workload: {pattern: random, read_fraction: 0.5, block_size_kib: 1024, rate: 0.005}
    snapshots:
      backups: {every: 86400, keep: 7, first: 3600}
    gc: {quiet_period: 0}
    """
  }

  /// `progress` receives the fraction of the simulated days done.
  public static func run(
    vms: Int = 200, days: Int = 30, diskGiB: Int = 50, progress: ((Double) -> Void)? = nil
  ) throws -> BenchReport {
    var report = BenchReport(name: "fleet")
    report.note(
      "setup",
      "\(vms) VMs × \(diskGiB) GiB, LVM thin, iSCSI, nightly backups keep 7, GC snapshot-coalesce, "
        + "1 MiB random requests at 0.005/s per VM (50% writes), metadata-only devices")
    let s = try Scenario.parse(yaml: scenario(vms: vms, days: days, diskGiB: diskGiB), file: "<bench fleet>")
    let run = s.runs()[0]
    var result = RunResult()
    let wall = try seconds { result = try ScenarioRunner.execute(run, progress: progress) }
    let gc = result.gc?.metrics ?? [:]
    report.add("vdis", Double(vms))
    report.add("simulated_days", Double(days))
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

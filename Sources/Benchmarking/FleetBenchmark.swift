// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Pool

/// The capacity planner's month: 200 VMs with 50 GiB disks on a thin LVM SR, every VM backed up
/// nightly by a rolling snapshot that keeps 7, the GC coalescing behind the deletes, 30 simulated
/// days on metadata-only devices. It measures whether a month of a fleet stays a coffee-break run
/// (wall time, peak RSS) and reports what the fleet did (GC work, chain depth, space).
public enum FleetBenchmark {
  /// The fleet's size and load: `srs` independent thin LVM SRs (`sr.count`, VMs round-robin), guest
  /// I/O at `request` or `epoch` resolution (`epochSeconds` bounds an interval;
  /// docs/simulation.md#epoch-resolution).
  public struct Parameters: Sendable, Equatable {
    public var vms = 200
    public var days = 30
    public var diskGiB = 50
    /// Guest requests per second per VM (half of them writes).
    public var iops = 0.005
    public var srs = 1
    public var resolution = "request"
    /// Request sizes as a fio bssplit mix (`"4k/25:64k/75"`); nil: every request 1 MiB.
    public var sizes: String?
    /// Epoch resolution's longest interval (the scenario's `epoch`).
    public var epochSeconds = 3600.0

    public init(
      vms: Int = 200, days: Int = 30, diskGiB: Int = 50, iops: Double = 0.005, srs: Int = 1,
      resolution: String = "request", sizes: String? = nil, epochSeconds: Double = 3600
    ) {
      self.vms = vms
      self.days = days
      self.diskGiB = diskGiB
      self.iops = iops
      self.srs = srs
      self.resolution = resolution
      self.sizes = sizes
      self.epochSeconds = epochSeconds
    }

    /// The workload's size key: the mix when given, else 1 MiB requests.
    var sizeKey: String { sizes.map { "sizes: \"\($0)\"" } ?? "block_size_kib: 1024" }

    /// Each SR's LUN in GiB: room for every VM's base copy, seven backups, its leaf and a coalesce
    /// in flight if the guests rewrite the whole disk between backups (a write-heavy fleet does).
    var srCapacityGiB: Int { Swift.max(1024, (vms + srs - 1) / srs * diskGiB * 10) }
  }

  /// The study as a scenario, so it runs exactly as `vhdsim run` would run the same file.
  public static func scenario(_ p: Parameters = .init()) -> String {
    """
    name: bench-fleet
    description: \(p.vms) VMs with \(p.diskGiB) GiB disks on \(p.srs) thin LVM SR(s), nightly backups keeping 7, GC on.
    seed: 200
    duration: \(p.days * 86_400)
    resolution: \(p.resolution)\(p.resolution == "epoch" ? "\nepoch: \(p.epochSeconds)" : "")
    sr: {kind: lvm, provisioning: thin, count: \(p.srs)}
    disk: {preset: iscsi, capacity_gib: \(p.srCapacityGiB)}
    device: metadata
    chain: {depth: 1, size_mib: \(p.diskGiB * 1024), base_fill: 0.2}
    vms:
      - count: \(p.vms)
        workload: {pattern: random, read_fraction: 0.5, \(p.sizeKey), rate: \(p.iops)}
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
      "\(p.vms) VMs × \(p.diskGiB) GiB over \(p.srs) SR(s), LVM thin, iSCSI, nightly backups keep 7, GC sm, "
        + "random requests of \(p.sizes ?? "1m") at \(p.iops)/s per VM (50% writes), metadata-only devices")
    report.note("resolution", p.resolution)
    if p.resolution == "epoch" { report.add("epoch_seconds", p.epochSeconds) }
    let s = try Scenario.parse(yaml: scenario(p), file: "<bench fleet>")
    let units = s.runs()[0].units
    var results: [RunResult] = []
    let wall = try seconds {
      for (k, unit) in units.enumerated() {
        results.append(
          try ScenarioRunner.execute(unit) { progress?((Double(k) + $0) / Double(units.count)) })
      }
    }
    report.add("vdis", Double(p.vms))
    report.add("srs", Double(p.srs))
    report.add("simulated_days", Double(p.days))
    report.add("iops_per_vm", p.iops)
    report.add("wall_seconds", wall)
    if let hwm = peakResidentBytes() { report.add("peak_rss_mib", Double(hwm) / 1_048_576) }
    report.add("guest_requests", Double(results.map(\.requests).reduce(0, +)))
    let gc = results.map { $0.gc?.metrics ?? [:] }
    // Over SRs: counts, bytes and busy time add up; depths are the deepest SR's; the space peak is
    // the sum of each SR's own peak (an upper bound on the fleet's simultaneous peak when SRs > 1).
    for key in ["gc_coalesces", "gc_garbage_collected", "gc_bytes_copied", "gc_busy_s", "space_peak_bytes"] {
      report.add(key, gc.map { $0[key] ?? 0 }.reduce(0, +))
    }
    for key in ["chain_depth_max", "chain_depth_after_gc"] {
      report.add(key, gc.map { $0[key] ?? 0 }.max() ?? 0)
    }
    report.add("gc_failed_targets", gc.map { $0["gc_failed_targets"] ?? 0 }.reduce(0, +))
    report.add("sr_operation_errors", Double(results.map { $0.gc?.operationErrors.count ?? 0 }.reduce(0, +)))
    return report
  }
}

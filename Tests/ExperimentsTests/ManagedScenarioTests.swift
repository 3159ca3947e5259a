// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Pool
import StorageRepository
import Testing

/// Scenarios over a managed SR (a `gc` or `snapshots` section): the thread's story run end to end
/// through the runner, determinism, crash-consistency runs, the `quick` section, and every check
/// that rejects a managed-SR combination no run could honour.
@Suite struct ManagedScenarioTests {
  /// The thread (the xen-api list thread "How snapshot work on LVMoISCS SR") at a small scale: a writing VM snapshotted 4
  /// times, every snapshot deleted at 30 s, the GC left to finish until 150 s; one policy per
  /// leaf-coalesce design.
  static let thread = """
    name: thread
    seed: 16
    duration: 150
    sr: {kind: file}
    disk: {preset: nvme}
    device: metadata
    chain: {depth: 1, size_mib: 256, base_fill: 0.5}
    vms:
      - workload: {pattern: random, read_fraction: 0.3, block_size_kib: 64, rate: 50}
    snapshots:
      kind: double
      script: {count: 4, start: 5, every: 5, delete_all_at: 30}
    gc:
      quiet_period: 0
    policies:
      - name: none
        gc: {leaf_coalesce: none}
      - name: live
        gc: {leaf_coalesce: live-only}
      - name: mirror
        gc: {leaf_coalesce: mirror}
    """

  static func outcomes(_ yaml: String, file: String, quick: Bool = false) throws -> (
    ScenarioRunner, [ScenarioRunner.Outcome]
  ) {
    let scenario = try Scenario.parse(yaml: yaml, file: file)
    let runner = try ScenarioRunner(scenario: scenario, options: .init(jobs: 1, quick: quick))
    return (runner, try runner.run())
  }

  @Test func threadStoryPerLeafCoalesceDesign() throws {
    let (runner, outcomes) = try Self.outcomes(Self.thread, file: "thread.yaml")
    #expect(runner.scenario.managed)
    #expect(outcomes.map(\.run.policy) == ["none", "live", "mirror"])
    let m = outcomes.map(\.metrics.values)
    for (policy, v) in zip(["none", "live", "mirror"], m) {
      // The snapshots were taken and deleted: 4 base copies + the leaf at the peak, and the three
      // base copies between the first and the leaf coalesced away (non-leaf coalesces).
      #expect(v["chain_depth_max"] == 5, "\(policy)")
      #expect(v["gc_coalesces"] == 3, "\(policy)")
      // The SR deletes snapshot leaves itself; the GC is left no childless hidden node to remove.
      #expect(v["gc_garbage_collected"] == 0, "\(policy)")
      // Kicked twice: when the SR was attached and by the delete.
      #expect(v["gc_kicks"] == 2, "\(policy)")
      #expect(v["gc_bytes_copied"] == (v["gc_bytes_copied_nonleaf"] ?? 0) + (v["gc_bytes_copied_leaf"] ?? 0))
      #expect((v["gc_bytes_copied_nonleaf"] ?? 0) > 0, "\(policy)")
    }
    // 2010's XCP: no leaf coalesce, the chain stays at base copy + leaf.
    #expect(m[0]["chain_depth_after_gc"] == 2)
    #expect(m[0]["leaf_attempts"] == 0)
    #expect(m[0]["gc_leaf_coalesces"] == 0)
    #expect(m[0]["gc_bytes_copied_leaf"] == 0)
    // Mirror merges the leaf whatever the rate: one attempt, one leaf coalesce, depth 1.
    #expect(m[2]["chain_depth_after_gc"] == 1)
    #expect(m[2]["leaf_attempts"] == 1)
    #expect(m[2]["gc_leaf_coalesces"] == 1)
    #expect((m[2]["gc_bytes_copied_leaf"] ?? 0) > 0)
    #expect((m[2]["leaf_pause_s_max"] ?? 0) > 0)
    // Live: a leaf of ~22 MiB copied at NVMe speed fits the 5 s margin, so it merges too.
    #expect(m[1]["chain_depth_after_gc"] == 1)
    #expect(m[1]["leaf_attempts"] == 1)
    #expect(m[1]["leaf_not_allowed"] == 0)
    #expect(m[1]["gc_leaf_coalesces"] == 1)

    let report = ScenarioReport(scenario: runner.scenario, outcomes: outcomes)
    let json = try JSONSerialization.jsonObject(with: Data(report.summaryJSON.utf8)) as? [String: Any]
    let policies = json?["policies"] as? [[String: Any]] ?? []
    #expect(policies.map { $0["name"] as? String } == ["none", "live", "mirror"])
    #expect(policies.map { $0["leaf_coalesce"] as? String } == ["none", "live-only", "mirror"])

    // The GC's series and timeline reach the records.
    let record = RunRecord(
      index: 2, run: outcomes[2].run, metrics: outcomes[2].metrics, result: outcomes[2].result)
    let depth = record.series.filter { $0.series == "vdi0_chain_depth" }
    #expect(depth.first?.value == 1)
    #expect(depth.map(\.value).max() == 5)
    #expect(depth.last?.value == 1)
    #expect(record.series.contains { $0.series == "sr_physical_utilisation_bytes" })
    #expect(record.events.filter { $0.kind == "coalesce" && $0.lane == "GC" }.count == 3)
    #expect(record.events.filter { $0.kind == "leaf" && $0.lane == "GC" }.count == 1)
    #expect(record.events.filter { $0.kind == "pause" }.count == 1)
    #expect(record.events.allSatisfy { $0.start <= $0.end && $0.end <= 150 })
  }

  /// A plain scenario (no `gc`, no `snapshots`) has no GC metrics and no leaf design in its summary.
  @Test func plainScenarioHasNoGCMetrics() throws {
    let yaml = """
      name: plain
      duration: 0.05
      chain: {depth: 2, size_mib: 64, writes_per_snapshot: 8}
      vms: [{workload: {iodepth: 2}}]
      """
    let (runner, outcomes) = try Self.outcomes(yaml, file: "plain.yaml")
    #expect(!runner.scenario.managed)
    #expect(runner.scenario.policies.map(\.leafCoalesce) == [nil])
    #expect(outcomes[0].result.gc == nil)
    #expect(!outcomes[0].metrics.values.keys.contains { $0.hasPrefix("gc_") })
    let summary = ScenarioReport(scenario: runner.scenario, outcomes: outcomes).summaryJSON
    #expect(!summary.contains("leaf_coalesce"))
  }

  /// The first difference between two records, or nil.
  static func firstDifference(_ a: RunRecord, _ b: RunRecord) -> String? {
    if a.index != b.index || a.seed != b.seed {
      return "index/seed \(a.index)/\(a.seed) vs \(b.index)/\(b.seed)"
    }
    for i in 0..<max(a.metrics.count, b.metrics.count) {
      let x = i < a.metrics.count ? a.metrics[i] : nil
      let y = i < b.metrics.count ? b.metrics[i] : nil
      if x != y { return "metric \(i): \(String(describing: x)) vs \(String(describing: y))" }
    }
    for i in 0..<max(a.series.count, b.series.count) {
      let x = i < a.series.count ? a.series[i] : nil
      let y = i < b.series.count ? b.series[i] : nil
      if x != y { return "series point \(i): \(String(describing: x)) vs \(String(describing: y))" }
    }
    for i in 0..<max(a.events.count, b.events.count) {
      let x = i < a.events.count ? a.events[i] : nil
      let y = i < b.events.count ? b.events[i] : nil
      if x != y { return "event \(i): \(String(describing: x)) vs \(String(describing: y))" }
    }
    for i in 0..<max(a.latency.count, b.latency.count) {
      let x = i < a.latency.count ? a.latency[i] : nil
      let y = i < b.latency.count ? b.latency[i] : nil
      if x != y { return "latency bucket \(i): \(String(describing: x)) vs \(String(describing: y))" }
    }
    return a == b ? nil : "records differ elsewhere"
  }

  static func records(_ yaml: String, jobs: Int) throws -> [RunRecord] {
    let scenario = try Scenario.parse(yaml: yaml, file: "det.yaml")
    let runner = try ScenarioRunner(scenario: scenario, options: .init(jobs: jobs))
    return try runner.run().enumerated().map {
      RunRecord(index: $0, run: $1.run, metrics: $1.metrics, result: $1.result)
    }
  }

  @Test func managedRunsAreDeterministic() throws {
    let yaml = """
      name: det
      seed: 7
      replicates: 2
      duration: 40
      sr: {kind: lvm, provisioning: thin, capacity_gib: 64}
      chain: {depth: 1, size_mib: 128, base_fill: 0.25}
      vms:
        - count: 2
          workload: {pattern: random, read_fraction: 0.5, block_size_kib: 16, rate: 40}
      snapshots:
        script: {count: 3, start: 2, every: 3, delete_all_at: 12}
      gc: {quiet_period: 0, leaf_coalesce: sm}
      """
    let a = try Self.records(yaml, jobs: 1)
    let b = try Self.records(yaml, jobs: 2)
    #expect(a.count == 2 && b.count == 2)
    for (x, y) in zip(a, b) { #expect(Self.firstDifference(x, y) == nil) }
    // Two replicates, two seeds: something must differ, or the replicates are not independent.
    #expect(a[0].seed != a[1].seed)
    #expect(a[0].metrics != a[1].metrics)
    // Two VMs, each its own depth series; the script ran on both.
    for r in a {
      #expect(r.metric("chain_depth_max") == 4)
      #expect(r.series.contains { $0.series == "vdi1_chain_depth" })
      #expect(!r.series.contains { $0.series == "vdi2_chain_depth" })
    }
  }

  @Test func consistencyCheckRun() throws {
    let yaml = """
      name: cc
      seed: 5
      duration: 0.2
      device: memory
      disk: {preset: nvme}
      consistency_check: true
      chain: {depth: 2, size_mib: 64}
      vms:
        - workload: {preset: fragmenting}
      snapshots:
        script: {count: 3, start: 0.04, every: 0.05}
      """
    let (runner, outcomes) = try Self.outcomes(yaml, file: "cc.yaml")
    #expect(!runner.scenario.managed)
    #expect(runner.scenario.consistencyCheck)
    #expect(outcomes.count == 1)
    let v = outcomes[0].metrics.values
    #expect(v["consistent"] == 1)
    #expect(v["data_mismatches"] == 0)
    #expect(v["snapshots_taken"] == 3)
    #expect(v["snapshots_not_taken"] == 0)
    #expect(v["late_writes"] == 0)
    #expect((v["writes_checked"] ?? 0) > 0)
    #expect((v["snapshot_stall_ms_max"] ?? 0) > 0)
    // No package install, so no file-level check; no GC either.
    #expect(v["files_checked"] == nil)
    #expect(outcomes[0].result.gc == nil)
  }

  @Test func consistencyCheckWithoutScriptTakesFour() throws {
    let yaml = """
      name: cc4
      duration: 0.2
      device: memory
      consistency_check: true
      chain: {depth: 1, size_mib: 32}
      vms:
        - workload: {pattern: random, read_fraction: 0.3, block_size_kib: 4, iodepth: 4}
      """
    let (_, outcomes) = try Self.outcomes(yaml, file: "cc4.yaml")
    let v = outcomes[0].metrics.values
    #expect(v["snapshots_taken"] == 4)
    #expect(v["consistent"] == 1)
    #expect(v["data_mismatches"] == 0)
  }

  static let quickYAML = """
    name: q
    seed: 2
    replicates: 3
    duration: 100
    chain: {depth: 1, size_mib: 64, base_fill: 0.5}
    vms:
      - count: 3
        workload: {pattern: random, read_fraction: 0.5, block_size_kib: 16, rate: 20}
    snapshots:
      script: {count: 8, start: 5, every: 5, delete_all_at: 50}
    gc: {quiet_period: 0}
    policies:
      - name: a
        gc: {leaf_coalesce: none}
      - name: b
        gc: {leaf_coalesce: mirror}
    sweep:
      vms.rate: [10, 20, 40]
    quick:
      duration: 20
      replicates: 1
      vm_count: 1
      snapshots:
        script: {count: 2, start: 2, every: 3, delete_all_at: 10}
      sweep:
        vms.rate: [15]
    """

  /// A plan's script as `[count, start, every, delete_all_at]` (delete −1 when absent).
  static func script(_ plan: SnapshotPlan?) -> [Double]? {
    plan?.script.map { [Double($0.count), $0.start, $0.every, $0.deleteAllAt ?? -1] }
  }

  @Test func quickSectionApplied() throws {
    let scenario = try Scenario.parse(yaml: Self.quickYAML, file: "q.yaml")
    let full = try ScenarioRunner(scenario: scenario, options: .init(jobs: 1))
    #expect(full.runs.count == 2 * 3 * 3)
    #expect(full.runs.allSatisfy { $0.settings.duration == 100 && $0.vms.count == 3 })
    #expect(full.runs.allSatisfy { $0.snapshots?.script?.count == 8 })

    let quick = try ScenarioRunner(scenario: scenario, options: .init(jobs: 1, quick: true))
    #expect(quick.scenario.quick == nil)
    #expect(quick.scenario.replicates == 1)
    #expect(quick.runs.count == 2 * 1 * 1)
    #expect(quick.runs.map(\.label) == ["a/vms.rate=15.0/r0", "b/vms.rate=15.0/r0"])
    for run in quick.runs {
      #expect(run.settings.duration == 20)
      #expect(run.pool.duration == .seconds(20))
      #expect(run.vms.count == 1)
      #expect(run.vms[0].workload == .builtIn(run.pool.workload))
      #expect(run.pool.workload.arrivals == .openLoop(ratePerSecond: 15))
      #expect(Self.script(run.snapshots) == [2, 2, 3, 10])
      #expect(run.snapshots?.kind == .double && run.snapshots?.backups == nil)
    }
    // The quick plan is what runs: two snapshots (2 base copies + leaf = 3 at most); `a` never
    // leaf-coalesces, so its chain ends at base copy + leaf.
    let outcomes = try quick.run()
    #expect(outcomes.map { $0.metrics.values["chain_depth_max"] } == [3, 3])
    #expect(outcomes.map { $0.metrics.values["chain_depth_after_gc"] } == [2, 1])
  }

  // MARK: Errors

  /// A valid managed scenario; each error test changes one part of it.
  static let valid = """
    name: m
    duration: 60
    sr:
      kind: lvm
      provisioning: thick
    chain:
      depth: 1
    vms:
      - count: 1
        workload: {rate: 10}
    snapshots:
      script: {count: 4, start: 5, every: 5, delete_all_at: 30}
    gc:
      leaf_coalesce: live-only
    """

  func error(_ yaml: String) -> String {
    do {
      _ = try Scenario.parse(yaml: yaml, file: "m.yaml")
      return "no error"
    } catch { return error.description }
  }

  @Test func validManagedBaselineParses() throws {
    let s = try Scenario.parse(yaml: Self.valid, file: "m.yaml")
    #expect(s.managed)
    #expect(s.base.sr == .lvm && s.base[.srProvisioning] == .provisioning(.thick))
    #expect(s.base.gc.leafCoalesce == .liveOnly(.xcp))
    #expect(s.policies.map(\.leafCoalesce?.name) == ["live-only"])
    #expect(Self.script(s.snapshots) == [4, 5, 5, 30])
  }

  @Test func srSettingsNeedAManagedSR() {
    let plain = Self.valid.components(separatedBy: "snapshots:")[0]
    #expect(
      error(plain)
        == "m.yaml:5:17: sr.provisioning applies to a managed SR: add a `gc` or `snapshots` section")
    #expect(
      error(plain.replacingOccurrences(of: "provisioning: thick", with: "capacity_gib: 10"))
        == "m.yaml:5:17: sr.capacity_gib applies to a managed SR: add a `gc` or `snapshots` section")
    #expect(
      error(
        plain.replacingOccurrences(of: "  provisioning: thick\n", with: "")
          + "policies:\n  - name: p\n    gc: {leaf_coalesce: mirror}")
        == "m.yaml:12:25: policy \"p\": gc settings need a managed SR (a `gc` or `snapshots` section)")
  }

  @Test func unknownGCKeyAndBadDesign() {
    #expect(
      error(Self.valid.replacingOccurrences(of: "leaf_coalesce: live-only", with: "leaf: live"))
        == "m.yaml:14:3: unknown key \"leaf\" in gc; expected one of: enabled, quiet_period, "
        + "first_run_after_boot, auto_scan, concurrency, candidate_order, leaf_coalesce, tracker, live_test, "
        + "live_timeout, live_max_size_mib, mirror_max_passes, mirror_final_delta_mib, vm_suspend, vm_resume, "
        + "operation_overhead, xapi_call, command_start, sm_snapshot, tapdisk_refresh, host_round_trip, "
        + "metadata_io, max_copy_mib")
    #expect(
      error(Self.valid.replacingOccurrences(of: "leaf_coalesce: live-only", with: "leaf_coalesce: merge"))
        == "m.yaml:14:18: gc.leaf_coalesce: expected one of none, sm, force, live-only, offline, "
        + "mirror, found \"merge\"")
    #expect(
      error(
        Self.valid.replacingOccurrences(
          of: "leaf_coalesce: live-only", with: "leaf_coalesce: snapshot-coalesce"))
        == "m.yaml:14:18: gc.leaf_coalesce: the design \"snapshot-coalesce\" is now called \"sm\" "
        + "(docs/storage-manager.md#leaf-coalesce-designs)")
    #expect(
      error(
        Self.valid.replacingOccurrences(of: "kind: lvm", with: "kind: file")
          .replacingOccurrences(of: "  provisioning: thick\n", with: "")
          .replacingOccurrences(of: "leaf_coalesce: live-only", with: "leaf_coalesce: offline")
      )
      .hasSuffix(
        "gc.leaf_coalesce: offline is sm's coalesce-leaf plugin, which exists for LVM SRs only (set sr: lvm)")
    )
    #expect(
      error(Self.valid.replacingOccurrences(of: "leaf_coalesce: live-only", with: "tracker: \"2020\""))
        == "m.yaml:14:12: gc.tracker: expected one of 2019, 2022, 2024-08, 2024-10, 2025-09, found \"2020\"")
    #expect(
      error(Self.valid.replacingOccurrences(of: "leaf_coalesce: live-only", with: "live_test: xcp-ng-8.3"))
        == "m.yaml:14:14: gc.live_test: expected one of upstream, xcp-ng-8.2, found \"xcp-ng-8.3\"")
  }

  @Test func deleteBeforeLastSnapshot() {
    #expect(
      error(Self.valid.replacingOccurrences(of: "delete_all_at: 30", with: "delete_all_at: 19"))
        == "m.yaml:12:57: snapshots.script.delete_all_at: expected a time at or after the last "
        + "snapshot (20.0 s), found 19.0")
  }

  @Test func backupsNeedDoubleSnapshots() {
    let single = Self.valid.replacingOccurrences(
      of: "  script: {count: 4, start: 5, every: 5, delete_all_at: 30}",
      with: "  kind: single\n  backups: {every: 10, keep: 2}")
    #expect(
      error(single)
        == "m.yaml:12:3: snapshots: deleting snapshots (backups, delete_all_at) needs kind: double "
        + "(single and internal snapshots leave no snapshot VDI)")
    // The quick section's plan is checked too, and reported where it is written.
    #expect(
      error(
        Self.valid + "\nquick:\n  snapshots: {kind: internal, script: {count: 1, every: 1, delete_all_at: 2}}"
      )
        == "m.yaml:16:14: quick.snapshots: deleting snapshots (backups, delete_all_at) needs kind: "
        + "double (single and internal snapshots leave no snapshot VDI)")
  }

  @Test func rateWithAClosedLoopVM() {
    let yaml =
      Self.valid.replacingOccurrences(of: "{rate: 10}", with: "{iodepth: 4}")
      + "\nsweep:\n  vms.rate: [5, 10]"
    #expect(
      error(yaml)
        == "m.yaml:16:14: vms.rate sets an open-loop rate; this VM group has an iodepth (closed loop)")
    #expect(
      error(
        Self.valid.replacingOccurrences(of: "{rate: 10}", with: "{preset: random-4k}")
          + "\nsweep:\n  vms.rate: [5]")
        == "m.yaml:16:14: vms.rate applies to built-in workloads, not to a preset")
  }

  static let consistency = """
    name: c
    duration: 2
    device: memory
    consistency_check: true
    chain:
      depth: 2
    vms:
      - count: 1
        workload: {preset: random-4k}
    """

  @Test func consistencyCheckCombinations() throws {
    _ = try Scenario.parse(yaml: Self.consistency, file: "m.yaml")
    #expect(
      error(Self.consistency + "\ngc: {quiet_period: 0}")
        == "m.yaml:10:5: gc: a consistency check runs without a managed SR; remove `gc` or "
        + "`consistency_check`")
    #expect(
      error(Self.consistency.replacingOccurrences(of: "count: 1", with: "count: 2"))
        == "m.yaml:8:3: vms: a consistency check runs exactly one VM (one group with count: 1)")
    #expect(
      error(Self.consistency + "\n  - workload: {preset: random-4k}")
        == "m.yaml:8:3: vms: a consistency check runs exactly one VM (one group with count: 1)")
    #expect(
      error(Self.consistency + "\nsnapshots:\n  script: {count: 2, every: 1, delete_all_at: 5}")
        == "m.yaml:11:3: snapshots: a consistency check takes the script's snapshots (no backups, "
        + "deletes or kinds)")
  }

  @Test func managedSnapshotsStartFromOneLevel() {
    #expect(
      error(Self.valid.replacingOccurrences(of: "depth: 1", with: "depth: 3"))
        == "m.yaml:7:10: a managed SR with snapshots starts from one VDI per VM: chain.depth must be 1, "
        + "found 3")
    #expect(
      error(Self.valid + "\npolicies:\n  - name: deep\n    chain: {depth: 2}")
        == "m.yaml:17:20: a managed SR with snapshots starts from one VDI per VM: chain.depth must be 1, "
        + "found 2")
  }

  @Test func badWritePatternAndCapacity() {
    #expect(
      error(Self.valid.replacingOccurrences(of: "depth: 1", with: "depth: 1\n  write_pattern: zigzag"))
        == "m.yaml:8:18: chain.write_pattern: expected one of random, sequential, found \"zigzag\"")
    #expect(
      error(Self.valid.replacingOccurrences(of: "provisioning: thick", with: "capacity_gib: 100000"))
        == "m.yaml:5:17: sr.capacity_gib 100000 exceeds the disk's capacity")
  }

  @Test func quickCannotAddSnapshotsOrManagedSweeps() {
    let plain = Self.valid.components(separatedBy: "snapshots:")[0]
      .replacingOccurrences(of: "  provisioning: thick\n", with: "")
    #expect(
      error(plain + "quick:\n  snapshots: {script: {count: 1, every: 1}}")
        == "m.yaml:11:14: quick.snapshots: the scenario has no `snapshots` section for the quick variant to "
        + "reduce")
    #expect(
      error(plain + "sweep:\n  gc.leaf_coalesce: [none, mirror]")
        == "m.yaml:11:3: sweep: gc.leaf_coalesce needs a managed SR (a `gc` or `snapshots` section)")
    #expect(
      error(plain + "quick:\n  sweep: {sr.capacity_gib: [1]}")
        == "m.yaml:11:11: quick.sweep: sr.capacity_gib needs a managed SR (a `gc` or `snapshots` section)")
    // The consistency rules hold for the quick variant too.
    #expect(
      error(Self.consistency + "\nquick: {vm_count: 2}")
        == "m.yaml:10:19: quick.vm_count: a consistency check runs exactly one VM, found 2")
    #expect(
      error(
        Self.consistency + "\nsnapshots: {script: {count: 2, every: 1}}\nquick:\n  snapshots: "
          + "{script: {count: 1, every: 1, delete_all_at: 3}}")
        == "m.yaml:12:14: quick.snapshots: a consistency check takes the script's snapshots (no backups, "
        + "deletes or kinds)")
  }

  /// `leaf_coalesce` in summary.json is the design each group ran, also when it is swept.
  @Test func summaryNamesTheSweptDesign() throws {
    let yaml = Self.valid + "\nsweep:\n  gc.leaf_coalesce: [none, mirror]"
    let scenario = try Scenario.parse(yaml: yaml, file: "m.yaml")
    let runs = scenario.runs()
    #expect(runs.map(\.settings.gc.leafCoalesce.name) == ["none", "mirror"])
    let records = runs.enumerated().map { RunRecord(index: $0, seed: $1.seed, metrics: [.init("x", 1)]) }
    let summary = ScenarioReport(scenario: scenario, runs: runs, records: records).summaryJSON
    let json = try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any]
    let groups = json?["policies"] as? [[String: Any]] ?? []
    #expect(groups.map { $0["sweep"] as? String } == ["gc.leaf_coalesce=none", "gc.leaf_coalesce=mirror"])
    #expect(groups.map { $0["leaf_coalesce"] as? String } == ["none", "mirror"])
  }

  /// A consistency check runs the VM group's own built-in workload: a read-only guest writes nothing.
  @Test func consistencyCheckHonoursTheBuiltInWorkload() throws {
    func metrics(_ readFraction: Double) throws -> [String: Double] {
      let yaml = """
        name: ro
        duration: 0.1
        device: memory
        consistency_check: true
        chain: {depth: 1, size_mib: 32}
        vms:
          - workload: {pattern: random, read_fraction: \(readFraction), block_size_kib: 8, rate: 2000}
        snapshots:
          script: {count: 2, start: 0.03, every: 0.04}
        """
      return try Self.outcomes(yaml, file: "ro.yaml").1[0].metrics.values
    }
    let readOnly = try metrics(1)
    #expect(readOnly["writes_checked"] == 0)
    #expect(readOnly["snapshots_taken"] == 2)
    #expect(readOnly["consistent"] == 1)
    let writer = try metrics(0)
    #expect((writer["writes_checked"] ?? 0) > 0)
    #expect(writer["consistent"] == 1 && writer["data_mismatches"] == 0)
    // An open loop at 2000/s for 0.1 s: about 200 requests, not a saturating closed loop.
    #expect((writer["iops"] ?? 0) > 1500 && (writer["iops"] ?? 0) < 2500)
  }
}

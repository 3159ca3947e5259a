// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Pool
import StorageRepository
import Testing

/// The scenario files users copy must always validate and expand to the runs their comments promise,
/// and their `--quick` variants to what their `quick` sections say.
@Suite struct ShippedScenarioTests {
  static let scenarios = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scenarios")

  static let shipped = [
    "backup-fleet.yaml", "leaf-coalesce-designs.yaml", "quickstart.yaml", "resolution-agreement.yaml",
    "seed-chain-depth.yaml", "seed-delete-all.yaml", "trace-fio.yaml", "trace-msr.yaml",
    "yum-during-snapshot.yaml",
  ]

  static func load(_ name: String) throws -> Scenario {
    try Scenario.load(path: scenarios.appendingPathComponent(name).path)
  }

  static func quick(_ s: Scenario) throws -> ScenarioRunner {
    try ScenarioRunner(scenario: s, options: .init(jobs: 1, quick: true))
  }

  /// A plan's script as `[count, start, every, delete_all_at]` (delete −1 when absent).
  static func script(_ plan: SnapshotPlan?) -> [Double]? {
    plan?.script.map { [Double($0.count), $0.start, $0.every, $0.deleteAllAt ?? -1] }
  }

  /// Each VM's open-loop rate (nil for a closed loop or a preset).
  static func rates(_ run: ScenarioRun) -> [Double?] {
    run.vms.map {
      if case .builtIn(let spec) = $0.workload, case .openLoop(let r) = spec.arrivals { return r }
      return nil
    }
  }

  @Test func everyShippedFileIsTested() throws {
    let names = try FileManager.default.contentsOfDirectory(atPath: Self.scenarios.path)
      .filter { $0.hasSuffix(".yaml") }.sorted()
    #expect(names == Self.shipped)
  }

  /// Every file validates, has a `quick` section, and `--quick` expands exactly as that section says.
  @Test(arguments: shipped) func quickVariantFollowsItsSection(_ name: String) throws {
    let s = try Self.load(name)
    let q = try #require(s.quick, "\(name) has no quick section")
    let runner = try Self.quick(s)
    let replicates = q.replicates ?? s.replicates
    let sweep = q.sweep ?? s.sweep
    #expect(runner.scenario.replicates == replicates)
    #expect(runner.runs.count == s.policies.count * sweep.pointCount * replicates)
    let duration = q.duration ?? s.base.duration
    let vms = q.vmCount.map { $0 * s.vms.count } ?? s.vms.reduce(0) { $0 + $1.count }
    for run in runner.runs {
      #expect(run.settings.duration == duration)
      #expect(run.pool.duration == .seconds(duration))
      #expect(run.vms.count == vms)
      #expect(run.snapshots == (q.snapshots ?? s.snapshots))
    }
    // Without --quick the file runs as written.
    let full = try ScenarioRunner(scenario: s, options: .init(jobs: 1))
    #expect(full.runs.count == s.runCount)
    #expect(full.runs.allSatisfy { $0.settings.duration == s.base.duration })
  }

  @Test func quickstartComparesBATMapOverDepth() throws {
    let s = try Self.load("quickstart.yaml")
    #expect(s.name == "quickstart")
    #expect(!s.managed && !s.consistencyCheck)
    #expect(s.policies.map(\.name) == ["batmap-on", "batmap-off"])
    #expect(s.policies.map(\.leafCoalesce) == [nil, nil])
    #expect(s.sweep.pointCount == 3)
    #expect(s.replicates == 3)
    #expect(s.runCount == 2 * 3 * 3)
    let runs = s.runs()
    #expect(runs.count == 18)
    let depths = [1, 1, 1, 8, 8, 8, 17, 17, 17]
    #expect(runs.map(\.pool.chain.depth) == depths + depths)
    #expect(
      runs.map(\.pool.engine.useBATMap) == [Bool](repeating: true, count: 9)
        + [Bool](repeating: false, count: 9))
    let pool = runs[0].pool
    #expect(pool.chain.virtualSize == 1 << 30)
    #expect(pool.disk == .nvme && pool.sr == .file && pool.device == .metadata)
    #expect(pool.workload.arrivals == .closedLoop(ioDepth: 8))
    #expect(pool.workload.readFraction == 0.7)
    #expect(pool.engine.bitmapCacheCapacity == 32)
    #expect(runs.allSatisfy { $0.pool.duration == .seconds(2) })
    #expect(Set(runs.map(\.seed)).count == 6)
    let quick = try Self.quick(s)
    #expect(quick.runs.count == 2 * 3 * 2)
    #expect(quick.runs.allSatisfy { $0.pool.duration == .seconds(1.2) })
  }

  @Test func seedChainDepthCrossesWritePatternAndDepth() throws {
    let s = try Self.load("seed-chain-depth.yaml")
    #expect(
      s.policies.map(\.name) == ["batmap-cache", "batmap-nocache", "nobatmap-cache", "nobatmap-nocache"])
    #expect(s.sweep.pointCount == 2 * 5)
    #expect(s.runCount == 4 * 10 * 5)
    let runs = s.runs()
    #expect(runs.count == 200)
    #expect(runs.allSatisfy { $0.pool.sr == .lvm && $0.pool.disk == .sata7200 })
    #expect(runs.allSatisfy { $0.pool.chain.writesPerSnapshot == 1024 })
    // Policies outermost; the write pattern varies slower than the depth.
    #expect(runs[0].label == "batmap-cache/chain.write_pattern=random,chain.depth=1/r0")
    #expect(runs[25].label == "batmap-cache/chain.write_pattern=sequential,chain.depth=1/r0")
    #expect(runs[25].pool.chain.writePattern == .sequential && runs[25].pool.chain.depth == 1)
    #expect(runs[49].pool.chain.depth == 17)
    #expect(runs[50].policy == "batmap-nocache")
    let engines = [(true, 32), (true, 0), (false, 32), (false, 0)]
    for (p, (batmap, cache)) in engines.enumerated() {
      #expect(runs[p * 50].pool.engine.useBATMap == batmap)
      #expect(runs[p * 50].pool.engine.bitmapCacheCapacity == cache)
    }
    let quick = try Self.quick(s)
    #expect(quick.runs.count == 4 * 4 * 2)
    #expect(Set(quick.runs.map(\.pool.chain.depth)) == [1, 17])
    #expect(quick.runs.allSatisfy { $0.settings.duration == 5 })
  }

  @Test func seedDeleteAllComparesLeafCoalesceDesigns() throws {
    let s = try Self.load("seed-delete-all.yaml")
    #expect(s.managed && !s.consistencyCheck)
    let designs = ["none", "sm", "force", "live-only", "mirror"]
    #expect(s.policies.map(\.name) == designs)
    #expect(s.policies.map(\.leafCoalesce?.name) == designs)
    #expect(s.runCount == 5 * 1 * 3)
    #expect(Self.script(s.snapshots) == [16, 5, 5, 100])
    let runs = s.runs()
    #expect(
      runs.map(\.settings.gc.leafCoalesce.name)
        == designs.flatMap { Array(repeating: $0, count: 3) })
    #expect(runs.allSatisfy { $0.managed && $0.settings.gc.quietPeriod == 0 && $0.settings.duration == 400 })
    #expect(runs.allSatisfy { Self.rates($0) == [200] })
    let quick = try Self.quick(s)
    #expect(quick.runs.count == 5)
    #expect(
      quick.runs.allSatisfy { Self.script($0.snapshots) == [4, 5, 5, 30] && $0.settings.duration == 150 })
  }

  /// The seed thread's answer from the shipped file's quick variant (4 snapshots, all deleted at 30 s):
  /// without a leaf coalesce (`none`) the chain stays at base copy + leaf; `sm` (one snapshot-coalesce
  /// round, then the live step), `force` (one paused copy) and the hypothetical `mirror` merge it;
  /// the hypothetical `live-only` refuses this busy VM's leaf (no speed estimate yet, and the leaf is
  /// over the 20 MiB fallback) and stays at 2.
  @Test func seedDeleteAllQuickRunAnswersTheThread() throws {
    let outcomes = try Self.quick(try Self.load("seed-delete-all.yaml")).run()
    #expect(outcomes.map(\.run.policy) == ["none", "sm", "force", "live-only", "mirror"])
    let v = outcomes.map(\.metrics.values)
    #expect(v.map { $0["chain_depth_max"] } == [5, 5, 5, 5, 5])
    #expect(v.map { $0["chain_depth_after_gc"] } == [2, 1, 1, 2, 1])
    #expect(v.map { $0["leaf_attempts"] } == [0, 1, 1, 1, 1])
    #expect(v.map { $0["leaf_not_allowed"] } == [0, 0, 0, 1, 0])
    #expect(v.map { $0["gc_leaf_coalesces"] } == [0, 1, 1, 0, 1])
    #expect(v.map { $0["leaf_iterations"] } == [0, 1, 0, 0, 0])
    // The three base copies above the first, plus sm's round (a non-leaf coalesce).
    #expect(v.map { $0["gc_coalesces"] } == [3, 4, 3, 3, 3])
  }

  @Test func yumDuringSnapshotChecksConsistency() throws {
    let s = try Self.load("yum-during-snapshot.yaml")
    #expect(s.consistencyCheck && !s.managed)
    #expect(s.policies.map(\.name) == ["default"])
    #expect(s.policies.map(\.leafCoalesce) == [nil])
    #expect(s.runCount == 1 * 2 * 3)
    let runs = s.runs()
    #expect(runs.map(\.pool.disk) == [.nvme, .nvme, .nvme, .sata7200, .sata7200, .sata7200])
    #expect(runs.allSatisfy { $0.consistencyCheck && $0.pool.device == .memory && $0.vms.count == 1 })
    #expect(runs.allSatisfy { $0.vms[0].workload == .preset(.yumInstall) })
    #expect(Self.script(s.snapshots) == [5, 4, 5, -1])
    let quick = try Self.quick(s)
    #expect(quick.runs.count == 2)
    #expect(
      quick.runs.allSatisfy { Self.script($0.snapshots) == [2, 5, 12, -1] && $0.settings.duration == 20 })
  }

  @Test func backupFleetKeepsSevenNightlySnapshots() throws {
    let s = try Self.load("backup-fleet.yaml")
    #expect(s.managed)
    #expect(s.policies.map(\.name) == ["per-sr", "per-tree"])
    #expect(s.policies.map(\.leafCoalesce?.name) == ["sm", "sm"])
    #expect(s.runCount == 2 * 1 * 2)
    let b = try #require(s.snapshots?.backups)
    #expect(b.every == 86400 && b.keep == 7 && b.first == 7200)
    #expect(s.snapshots?.script == nil)
    let runs = s.runs()
    #expect(runs.map(\.settings.gc.concurrency) == [.perSR, .perSR, .perTree, .perTree])
    for run in runs {
      #expect(run.settings.duration == 2_592_000)
      #expect(run.vms.count == 20)
      #expect(Self.rates(run) == Array(repeating: 0.02, count: 20))
      #expect(run.pool.sr == .lvm && run.settings[.srProvisioning] == .provisioning(.thin))
      #expect(run.settings.capacityGiB == 1024)
      #expect(run.pool.disk == .iscsi && run.pool.chain.virtualSize == 20 << 30)
    }
    let quick = try Self.quick(s)
    #expect(quick.runs.count == 2)
    #expect(quick.runs.allSatisfy { $0.vms.count == 4 && $0.settings.duration == 864_000 })
  }

  @Test func resolutionAgreementComparesTheTwoResolutions() throws {
    let s = try Self.load("resolution-agreement.yaml")
    #expect(s.managed)
    #expect(s.policies.map(\.name) == ["request", "epoch"])
    #expect(s.runCount == 2 * 5)
    let runs = s.runs()
    #expect(
      runs.map(\.settings.guest.guestResolution)
        == Array(repeating: .request, count: 5) + Array(repeating: .epoch(length: .seconds(3600)), count: 5))
    for run in runs {
      #expect(run.settings.duration == 259_200)
      #expect(run.vms.count == 20)
      #expect(Self.rates(run) == Array(repeating: 20, count: 20))
      #expect(run.pool.sr == .lvm && run.settings[.srProvisioning] == .provisioning(.thin))
      #expect(run.pool.device == .metadata && run.pool.chain.virtualSize == 20 << 30)
      guard case .builtIn(let spec) = run.vms[0].workload else { continue }
      #expect(spec.sizes?.description == "4k/25:16k/25:32k/25:64k/25" && spec.readFraction == 0.5)
    }
    let b = try #require(s.snapshots?.backups)
    #expect(b.every == 21600 && b.keep == 7)
    let quick = try Self.quick(s)
    #expect(quick.runs.count == 4)
    #expect(quick.runs.allSatisfy { $0.vms.count == 2 && $0.settings.duration == 86_400 })
  }

  @Test func leafCoalesceDesignsSweepTheRate() throws {
    let s = try Self.load("leaf-coalesce-designs.yaml")
    #expect(s.managed)
    let designs = ["sm", "sm", "sm", "sm", "sm", "live-only", "offline", "mirror"]
    #expect(s.policies.map(\.leafCoalesce?.name) == designs)
    #expect(s.runCount == 8 * 3 * 3)
    let runs = s.runs()
    #expect(runs.count == 72)
    #expect(runs.prefix(9).map { Self.rates($0) } == [5, 5, 5, 20, 20, 20, 60, 60, 60].map { [$0] })
    let trackers = stride(from: 0, to: 45, by: 9).map { runs[$0].settings.gc.tracker }
    #expect(trackers == [.v2025_09, .v2024_10, .v2024_08, .v2022, .v2019])
    #expect(runs[27].settings.gc.live.liveTest == .xcpNG82 && runs[0].settings.gc.live.liveTest == .upstream)
    // Per-round costs at their defaults, in a three-host pool on LVM.
    #expect(
      runs.allSatisfy {
        $0.settings.gc.costs.hosts == 3 && $0.settings.gc.operationOverhead == 0 && $0.pool.sr == .lvm
          && Self.script($0.snapshots) == [1, 5, 1, 120]
      })
    let quick = try Self.quick(s)
    #expect(quick.runs.count == 8 * 2 * 1)
    #expect(quick.runs.prefix(2).map { Self.rates($0) } == [[5], [40]])
  }

  @Test func sweepMultipliesRuns() throws {
    let yaml = """
      name: grid
      replicates: 4
      chain: {depth: 2}
      vms: [{workload: {preset: random-4k}}]
      policies: [{name: a}, {name: b, engine: {batmap: false}}]
      sweep:
        chain.depth: [1, 8, 16]
        disk: [nvme, sata7200]
      """
    let s = try Scenario.parse(yaml: yaml, file: "grid.yaml")
    #expect(s.runCount == 2 * 6 * 4)
    let runs = s.runs()
    #expect(runs.count == 48)
    // The first axis varies slowest.
    #expect(s.sweep.point(1).map(\.description) == ["chain.depth=1", "disk=sata7200"])
    #expect(runs[4].label == "a/chain.depth=1,disk=sata7200/r0")
    #expect(runs[4].pool.chain.depth == 1 && runs[4].pool.disk == .sata7200)
    #expect(runs[24].pool.engine.useBATMap == false)
  }
}

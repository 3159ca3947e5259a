// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Workloads

/// One run of a scenario: a (policy, sweep point, replicate) with its settings resolved and its seed
/// derived. Runs are plain values computed from their indices alone, so any subset can be produced in
/// any order (by a later parallel or sharded runner) and come out identical.
public struct ScenarioRun: Sendable {
  public var policy: String
  public var policyIndex: Int
  public var sweepIndex: Int
  public var point: [SweepAssignment]
  /// 0-based.
  public var replicate: Int
  /// The pool's seed (its streams: disk, VMs' built-in workloads).
  public var seed: UInt64
  public var settings: ScenarioSettings
  /// The pool as `PoolScenario` takes it. Its `workload` is the first VM's when that VM runs the
  /// built-in workload (`PoolScenario` drives one VM); `vms` is the full list a runner attaches.
  public var pool: PoolScenario
  /// Every VM, groups expanded, in file order.
  public var vms: [VM]
  /// A managed SR with a garbage collector (the scenario has a `gc` or `snapshots` section).
  public var managed = false
  /// What the SR snapshots and deletes during the run.
  public var snapshots: SnapshotPlan?
  /// Snapshots are checked for crash consistency (`consistency_check`).
  public var consistencyCheck = false
  /// Which of the run's ``srCount`` SRs this value simulates (``unit(sr:)``); 0 for the run itself.
  public var sr = 0

  public struct VM: Sendable, Equatable {
    public var index: Int
    public var workload: VMGroup.Workload
    /// Seed for a preset's generator (`WorkloadPreset.makeGenerator(seed:)`).
    public var seed: UInt64
  }

  /// `policy/sweep-point/replicate`, e.g. `batmap-off/chain.depth=16/r3`: a stable label for logs;
  /// `/srK` follows for SR K of a run of several SRs.
  public var label: String {
    let p = point.isEmpty ? "-" : point.map(\.description).joined(separator: ",")
    return "\(policy)/\(p)/r\(replicate)" + (srCount > 1 ? "/sr\(sr)" : "")
  }
}

extension Scenario {
  /// The seed of every run of `policy` and `replicate`, and of its named `stream`.
  ///
  /// Derived with `RandomStream.seed(scenario:replication:stream:)` from the scenario's name and base
  /// seed, the replicate and the policy — never from thread, shard or run order, so a run's numbers do
  /// not depend on which other runs were made or where. The sweep point is deliberately not an input:
  /// every point of a replicate sees the same random numbers (common random numbers), so differences
  /// along a sweep are the parameter's, not noise.
  public func seed(policy: String, replicate: Int, stream: String = "pool") -> UInt64 {
    RandomStream.seed(scenario: "\(name)#\(seed)", replication: replicate, stream: "\(policy)/\(stream)")
  }

  /// The run at the given indices (policy 0..<policies.count, point 0..<sweep.pointCount,
  /// replicate 0..<replicates).
  public func run(policy policyIndex: Int, point sweepIndex: Int, replicate: Int) -> ScenarioRun {
    let policy = policies[policyIndex]
    let point = sweep.point(sweepIndex)
    let (settings, _) = resolve(policy: policy, point: point)
    let runSeed = seed(policy: policy.name, replicate: replicate)
    var vmList: [ScenarioRun.VM] = []
    for group in vms {
      var workload = group.workload
      if case .builtIn(let spec) = workload { workload = .builtIn(spec.with(rate: settings.rate)) }
      for _ in 0..<group.count {
        let i = vmList.count
        vmList.append(
          .init(
            index: i, workload: workload,
            seed: seed(policy: policy.name, replicate: replicate, stream: "vm\(i)")))
      }
    }
    var workload = WorkloadSpec()
    if case .builtIn(let spec) = vmList.first?.workload { workload = spec }
    var pool = PoolScenario(
      chain: settings.chain(seed: seed(policy: policy.name, replicate: replicate, stream: "chain")),
      workload: workload, disk: settings.profile, sr: settings.sr, device: settings.device,
      engine: settings.engine, duration: .seconds(settings.duration), seed: runSeed)
    pool.warmup = warmup
    return ScenarioRun(
      policy: policy.name, policyIndex: policyIndex, sweepIndex: sweepIndex, point: point,
      replicate: replicate,
      seed: runSeed, settings: settings, pool: pool, vms: vmList, managed: managed, snapshots: snapshots,
      consistencyCheck: consistencyCheck)
  }

  /// Every run: policies outermost, then sweep points, then replicates.
  public func runs() -> [ScenarioRun] {
    var out: [ScenarioRun] = []
    out.reserveCapacity(runCount)
    for p in policies.indices {
      for s in 0..<sweep.pointCount {
        for r in 0..<replicates { out.append(run(policy: p, point: s, replicate: r)) }
      }
    }
    return out
  }
}

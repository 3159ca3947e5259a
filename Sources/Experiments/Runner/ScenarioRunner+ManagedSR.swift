// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import StorageRepository
import VHD

extension ScenarioRunner {
  /// A run over a managed SR: the storage repository model creates one VDI per VM (the chain
  /// settings build it through the SR), the pool attaches them, the snapshot plan is scheduled as SR
  /// operations and the garbage collector runs with the run's `gc` settings. The GC's results come
  /// back in `RunResult.gc`.
  static func executeManaged(
    _ run: ScenarioRun, samples: Bool, progress: ((Double) -> Void)? = nil
  ) throws -> RunResult {
    let p = run.pool
    let s = run.settings
    let storage = makeStorage(run)
    let capacity = s.capacityGiB.map { UInt64($0) << 30 } ?? s.diskModel.capacityBytes
    let sr = SR(
      storage: storage, directory: "/sr", kind: s.srKind, capacity: capacity, engineOptions: p.engine,
      stamps: StampSequence(seed: run.seed))
    let vms = vms(of: run)
    // VDIs first (as a pool's disks exist before the VMs start), then the SR is handed to the pool.
    var uuids: [String] = []
    for vm in vms { uuids.append(try p.chain.build(in: sr, nameLabel: "vm\(vm.index)")) }
    let pool = try makePool(run, sr: sr, gc: s.gc.settings, samples: samples)
    var tapdisks: [Int] = []
    for (vm, uuid) in zip(vms, uuids) {
      let vdi = try pool.attach(vdi: uuid, maxOutstanding: p.maxOutstanding)
      tapdisks.append(vdi)
      try addVM(vm, vdi: vdi, to: pool, run: run)
    }
    if let plan = run.snapshots {
      if let script = plan.script {
        for vdi in tapdisks {
          var ops: [Int] = []
          for k in 0..<script.count {
            ops.append(
              try pool.scheduleSRSnapshot(
                vdi: vdi, at: .seconds(script.start + script.every * Double(k)), kind: plan.kind))
          }
          if let t = script.deleteAllAt { try pool.scheduleSRDelete(snapshotsOf: ops, at: .seconds(t)) }
        }
      }
      if let b = plan.backups {
        try pool.scheduleBackups(
          vdis: tapdisks, every: .seconds(b.every), keep: b.keep, first: .seconds(b.first), until: p.duration)
      }
    }
    return try pool.run(for: p.duration, progress: progress)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Workloads

extension ScenarioRunner {
  /// Snapshots checked for crash consistency (`consistency_check: true`): the one VM writes through
  /// its generator to an empty chain of `chain.depth` levels while the script's snapshots are taken
  /// (without a script: 4, spread evenly over the run); every snapshot is verified against the write
  /// log by `ConsistencyOracle`, and for a package install every file durable before a snapshot is
  /// checked whole in it. The pause each snapshot costs shows in the stall and latency metrics.
  static func executeConsistency(_ run: ScenarioRun) throws -> (result: RunResult, extra: [String: Double]) {
    let s = run.settings
    let vm = run.vms[0]
    var scenario = ConsistencyScenario(
      workload: .random, snapshots: run.snapshots?.script?.count ?? 4, seed: run.seed,
      duration: run.pool.duration, virtualSize: s.virtualSize, disk: s.profile, sr: s.sr, depth: s.depth)
    if let script = run.snapshots?.script {
      scenario.snapshotTimes = (0..<script.count).map { .seconds(script.start + script.every * Double($0)) }
    }
    switch vm.workload {
    case .preset(let preset):
      scenario.makeCustomGenerator = { sectors, _ in
        try preset.makeGenerator(requests: Int.max, seed: vm.seed, diskSectors: sectors)
      }
    case .trace(let spec):
      scenario.makeCustomGenerator = { sectors, _ in try TraceWorkload(spec: spec, diskSectors: sectors) }
    case .builtIn(let spec):
      // The group's own pattern, read mix, size and arrivals (not the harness's fixed random mix).
      let workload = SyntheticWorkload(
        arrivals: spec.arrivals.process, sizes: spec.sizeMix,
        readFraction: spec.readFraction,
        address: spec.pattern == .sequential ? .sequential(strideBytes: nil) : spec.address, region: 0..<0)
      scenario.makeCustomGenerator = { sectors, _ in
        var w = workload
        w.region = 0..<sectors
        do {
          return try SyntheticGenerator(w, streams: WorkloadStreams(seed: vm.seed, name: "consistency-vm0"))
        } catch { throw PoolError("\(error)") }
      }
    }
    let (result, report, files) = try scenario.run()
    let verdicts: [(Metric, Double)] = [
      (.consistent, report.consistent && (files?.mismatches.isEmpty ?? true) ? 1 : 0),
      (.snapshotsTaken, Double(report.snapshots)),
      (.snapshotsNotTaken, Double(report.notTaken)),
      (.writesChecked, Double(report.writesChecked)),
      (.sectorsChecked, Double(report.sectorsChecked)),
      (.lateWrites, Double(report.lateWrites)),
      (.dataMismatches, Double(report.results.filter { $0.mismatch != nil }.count)),
      (.snapshotStallMax, report.maxStall.milliseconds),
    ]
    var extra = Dictionary(uniqueKeysWithValues: verdicts.map { ($0.0.name, $0.1) })
    if let files {
      extra[Metric.filesDurable.name] = Double(files.filesDurable)
      extra[Metric.filesChecked.name] = Double(files.filesChecked)
      extra[Metric.fileMismatches.name] = Double(files.mismatches.count)
    }
    return (result, extra)
  }
}

extension WorkloadSpec.Arrivals {
  /// The same pacing as a `Workloads` arrival process (an open loop is Poisson, as the pool's is).
  var process: ArrivalProcess {
    switch self {
    case .closedLoop(let d): .closedLoop(ioDepth: d)
    case .openLoop(let r): .poisson(ratePerSecond: r)
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Dispatch
import Foundation
import Pool
import Simulation
import StorageRepository
import VHD
import Workloads

/// Runs every ``ScenarioRun`` of a scenario, in parallel, each in its own storage and pool, and keeps
/// the results by run index: what comes out depends on the scenario and the options only, never on the
/// number of worker threads or the order in which runs finish.
public struct ScenarioRunner: Sendable {
  public struct Options: Sendable, Equatable {
    /// Replaces the file's `replicates` (1…1000).
    public var replicates: Int?
    /// Replaces the file's base `seed`.
    public var seed: UInt64?
    /// Worker threads (at least 1).
    public var jobs: Int
    /// The reduced variant for a first look: every run's duration ÷ 10 (at least 0.1 simulated
    /// seconds, never longer than written) and at most 3 replicates.
    public var quick: Bool
    /// Keep one `TraceRecord` per guest request (`samples.csv`): large, so off unless asked for.
    public var samples: Bool

    public init(
      replicates: Int? = nil, seed: UInt64? = nil, jobs: Int? = nil, quick: Bool = false,
      samples: Bool = false
    ) {
      self.replicates = replicates
      self.seed = seed
      self.jobs = Swift.max(1, jobs ?? ProcessInfo.processInfo.activeProcessorCount)
      self.quick = quick
      self.samples = samples
    }
  }

  /// The scenario as run: overrides applied.
  public let scenario: Scenario
  public let options: Options
  /// The runs in scenario order (policies, sweep points, replicates), `--quick` applied.
  public let runs: [ScenarioRun]
  /// What is simulated, one pool each: every run's SRs (``ScenarioRun/unit(sr:)``), run by run, so
  /// unit `u` is SR `u % srCount` of run `u / srCount`. With one SR per run, `units[k]` is `runs[k]`.
  public let units: [ScenarioRun]
  /// SRs per run (`sr.count` of a managed-SR scenario, else 1).
  public let srCount: Int

  /// The shortest run `--quick` makes, in simulated seconds.
  public static let quickMinimumDuration = 0.1
  public static let quickMaximumReplicates = 3

  public init(scenario: Scenario, options: Options = .init()) throws(ScenarioError) {
    var s = scenario
    let documentedQuick = options.quick ? s.quick : nil
    if let q = documentedQuick { s.apply(q) }
    s.quick = nil
    if let r = options.replicates {
      guard Scenario.replicateRange.contains(r) else {
        throw ScenarioError(
          file: scenario.file, line: 1, column: 1,
          message:
            "--replicates: expected an integer in \(Scenario.replicateRange.lowerBound)..."
            + "\(Scenario.replicateRange.upperBound), found \(r)")
      }
      s.replicates = r
    }
    if let seed = options.seed { s.seed = seed }
    if options.quick && documentedQuick == nil {
      s.replicates = Swift.min(s.replicates, Self.quickMaximumReplicates)
    }
    var runs = s.runs()
    if options.quick && documentedQuick == nil {
      for i in runs.indices {
        let d = runs[i].settings.duration
        let quick = Swift.min(d, Swift.max(d / 10, Self.quickMinimumDuration))
        runs[i].settings.duration = quick
        runs[i].pool.duration = .seconds(quick)
      }
    }
    self.scenario = s
    self.options = options
    self.runs = runs
    srCount = runs.first?.srCount ?? 1
    units = runs.flatMap(\.units)
  }

  /// One run's outcome.
  public struct Outcome: Sendable {
    public var run: ScenarioRun
    public var result: RunResult
    public var metrics: RunMetrics
  }

  /// A run that failed, named by its label.
  public struct RunError: Error, CustomStringConvertible, Sendable {
    public var label: String
    public var message: String
    public var description: String { "run \(label): \(message)" }
  }

  /// Time-series samples per run: the pool samples its state every `duration / seriesSamples`.
  public static let seriesSamples = 100

  /// The run unit `u` belongs to.
  public func runIndex(ofUnit u: Int) -> Int { u / srCount }

  /// Runs every unit on `options.jobs` threads (with one SR per run, every run).
  /// `progress(done, total, unit)` is called once per finished unit, one call at a time (never
  /// concurrently). Throws the error of the first failing unit in scenario order; remaining units are
  /// then skipped.
  public func run(progress: @escaping @Sendable (Int, Int, ScenarioRun) -> Void = { _, _, _ in })
    throws(RunError) -> [Outcome]
  {
    try run(indices: Array(units.indices), progress: progress)
  }

  /// Runs the units at `indices` (positions in ``units``, e.g. one shard's slice) and returns their
  /// outcomes in the order of `indices`, the SRs of one run in parallel like any other units. A
  /// unit's outcome depends on the unit alone, never on which other units are made, so slices made
  /// anywhere add up to the whole.
  public func run(
    indices: [Int], progress: @escaping @Sendable (Int, Int, ScenarioRun) -> Void = { _, _, _ in }
  ) throws(RunError) -> [Outcome] {
    let state = SharedState(count: indices.count)
    let runs = units
    let samples = options.samples
    let workers = Swift.min(options.jobs, Swift.max(1, indices.count))
    let work: @Sendable (Int) -> Void = { _ in
      while let k = state.next() {
        let run = runs[indices[k]]
        let outcome: Result<Outcome, RunError>
        do {
          let (result, extra) = try Self.executeMeasured(run, samples: samples)
          var metrics = RunMetrics(run, result)
          metrics.values.merge(extra) { _, new in new }
          outcome = .success(Outcome(run: run, result: result, metrics: metrics))
        } catch {
          outcome = .failure(RunError(label: run.label, message: "\(error)"))
        }
        state.finish(k, outcome) { done in progress(done, indices.count, run) }
      }
    }
    if workers == 1 {
      work(0)
    } else {
      let group = DispatchGroup()
      for w in 0..<workers {
        let thread = Thread {
          work(w)
          group.leave()
        }
        thread.stackSize = 8 << 20
        group.enter()
        thread.start()
      }
      group.wait()
    }
    return try state.outcomes()
  }

  /// One run, independent of every other: its own storage, chains and pool. Each VM gets its own
  /// VDI (a chain built from the run's chain settings) and its own workload. The pool samples its
  /// state ``seriesSamples`` times over the run; `samples` keeps every request's trace record.
  /// `progress` as `PoolSimulation.run(for:progress:)` (not for consistency-check runs).
  public static func execute(
    _ run: ScenarioRun, samples: Bool = false, progress: ((Double) -> Void)? = nil
  ) throws -> RunResult {
    try executeMeasured(run, samples: samples, progress: progress).result
  }

  /// One run and the metrics only its kind of run has (crash consistency checks).
  static func executeMeasured(
    _ run: ScenarioRun, samples: Bool, progress: ((Double) -> Void)? = nil
  ) throws -> (result: RunResult, extra: [String: Double]) {
    if run.consistencyCheck { return try executeConsistency(run) }
    if run.managed { return (try executeManaged(run, samples: samples, progress: progress), [:]) }
    return (try executePlain(run, samples: samples, progress: progress), [:])
  }

  static func executePlain(
    _ run: ScenarioRun, samples: Bool, progress: ((Double) -> Void)? = nil
  ) throws -> RunResult {
    let p = run.pool
    let storage = makeStorage(run)
    let sr = SR.forChains(
      storage: storage, kind: p.sr, capacity: run.settings.diskModel.capacityBytes, engine: p.engine,
      seed: p.seed)
    let vms = vms(of: run)
    var uuids: [String] = []
    for vm in vms {
      uuids.append(try p.chain.build(in: sr, nameLabel: vm.index == 0 ? "vdi" : "vdi\(vm.index)"))
    }
    let pool = try makePool(run, sr: sr, gc: .off, samples: samples)
    for (vm, uuid) in zip(vms, uuids) {
      try addVM(vm, vdi: try pool.attach(vdi: uuid, maxOutstanding: p.maxOutstanding), to: pool, run: run)
    }
    return try pool.run(for: p.duration, progress: progress)
  }

  /// The run's storage (its device flavour).
  static func makeStorage(_ run: ScenarioRun) -> MemoryStorage {
    MemoryStorage(flavour: run.pool.device == .memory ? .inMemory : .metadataOnly)
  }

  /// The run's pool over `sr` (its disk, engine, seed, GC), sampling its state ``seriesSamples`` times
  /// over the run; `samples` keeps every request's trace record.
  static func makePool(_ run: ScenarioRun, sr: SR, gc: GCSettings, samples: Bool) throws -> PoolSimulation {
    let p = run.pool
    let pool = try PoolSimulation(disk: run.settings.diskModel, sr: sr, gc: gc, seed: p.seed)
    pool.engineCPU = run.settings.profile.engineCPU
    let interval = SimTime(nanoseconds: p.duration.nanoseconds / Int64(seriesSamples))
    if interval > .zero { pool.sampleInterval = interval }
    pool.recordTrace = samples
    pool.warmup = p.warmup
    return pool
  }

  /// Every VM of the run (one running the pool's workload when the scenario lists none).
  static func vms(of run: ScenarioRun) -> [ScenarioRun.VM] {
    let p = run.pool
    return run.vms.isEmpty
      ? [ScenarioRun.VM(index: 0, workload: .builtIn(p.workload), seed: p.seed)] : run.vms
  }

  /// Starts `vm` on attached VDI `vdi`: the built-in workload, its preset's generator, or its trace.
  static func addVM(_ vm: ScenarioRun.VM, vdi: Int, to pool: PoolSimulation, run: ScenarioRun) throws {
    switch vm.workload {
    case .builtIn(let spec):
      try pool.addVM(vdi: vdi, workload: spec, resolution: run.settings.guest.guestResolution)
    case .preset(let preset):
      let generator = try preset.makeGenerator(
        requests: Int.max, seed: vm.seed, diskSectors: run.pool.chain.virtualSize / 512)
      try pool.addVM(vdi: vdi, generator: generator)
    case .trace(let spec):
      try pool.addVM(
        vdi: vdi, generator: try TraceWorkload(spec: spec, diskSectors: run.pool.chain.virtualSize / 512))
    }
  }
}

/// The runner's shared queue of run indices and the outcomes by index, behind one lock.
private final class SharedState: @unchecked Sendable {
  private let lock = NSLock()
  private var nextIndex = 0
  private var done = 0
  private var failed = false
  private var results: [Result<ScenarioRunner.Outcome, ScenarioRunner.RunError>?]

  init(count: Int) { results = Array(repeating: nil, count: count) }

  func next() -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard !failed, nextIndex < results.count else { return nil }
    nextIndex += 1
    return nextIndex - 1
  }

  func finish(
    _ i: Int, _ outcome: Result<ScenarioRunner.Outcome, ScenarioRunner.RunError>, report: (Int) -> Void
  ) {
    lock.lock()
    defer { lock.unlock() }
    results[i] = outcome
    if case .failure = outcome { failed = true }
    done += 1
    report(done)
  }

  func outcomes() throws(ScenarioRunner.RunError) -> [ScenarioRunner.Outcome] {
    lock.lock()
    defer { lock.unlock() }
    var out: [ScenarioRunner.Outcome] = []
    for r in results {
      switch r {
      case .success(let o)?: out.append(o)
      case .failure(let e)?: throw e
      case nil: continue
      }
    }
    return out
  }
}

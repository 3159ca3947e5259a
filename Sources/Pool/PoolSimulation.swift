// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD
import Workloads

/// A pool to simulate: one SR on one physical disk with its GC, the SR's VDIs attached to it (one
/// tapdisk each), the VMs that drive them, and scheduled snapshots, SR operations and pauses. Build
/// it, `run(for:)`, read the `RunResult`. A chain of depth N is an SR VDI with N − 1 snapshots
/// (`ChainSpec.build(in:nameLabel:)`).
///
/// Randomness comes only from streams named under (scenario, seed) — one per VM, and "disk" for the
/// device's service-time variates — so a seed gives the same result bit for bit, and adding a VM
/// leaves the others' request streams unchanged.
public final class PoolSimulation {
  public let scenario: String
  public let seed: UInt64
  var sim = Simulator<PoolEvent>(capacity: 4_096)
  var model: PoolModel
  var maxRequestBytes = 4096
  var started = false

  /// A pool over `sr` on `disk`. Every volume of the SR is placed on the device now (LVM: by the SR's
  /// LV sizes; file SR: by file length), so create the VDIs that exist from the start first; attaching
  /// the SR kicks the GC at time zero when `gc.kickOnAttach`.
  /// - Parameters:
  ///   - disk: the physical device's timing model.
  ///   - sr: the storage repository (its kind is the VHDs' layout on the device, its storage holds
  ///     the engine's real state, its engine options are every tapdisk's).
  ///   - gc: the SR's garbage collector (`.off`: none).
  public init(
    disk: any DiskModel, sr: SR, gc: GCSettings = .off, seed: UInt64 = 1, scenario: String = "pool"
  ) throws {
    guard gc.maxCopyBytes >= 512 else {
      throw PoolError("GC maxCopyBytes \(gc.maxCopyBytes) is below one sector")
    }
    do {
      try gc.leafDesign.validate()
      try gc.leafDesign.validate(for: sr.kind)
    } catch {
      throw PoolError("\(error)")
    }
    try gc.costs.validate()
    guard gc.operationOverhead >= .zero, gc.quietPeriod >= .zero else {
      throw PoolError("GC quiet period and operation overhead must not be negative")
    }
    if let interval = gc.autoScanInterval, interval <= .zero {
      throw PoolError("GC auto-scan interval must be positive")
    }
    self.scenario = scenario
    self.seed = seed
    var device = disk
    device.reseed(
      RandomStream.seed(scenario: scenario, replication: Int(truncatingIfNeeded: seed), stream: "disk"))
    model = PoolModel(disk: device, host: SRHost(sr: sr, settings: gc))
    model.journal.seed = seed
    try model.syncPlacement()
    try model.host.recordState(at: sim.now)
    if gc.kickOnAttach { sim.schedule(.gcKick, at: sim.now) }
    if let interval = gc.autoScanInterval { sim.schedule(.autoScan, at: sim.now + interval) }
  }

  /// The engine's processor time per guest request (a profile's `engine_cpu`); set before the run.
  public var engineCPU: EngineCPUCost {
    get { model.engineCPU }
    set { model.engineCPU = newValue }
  }

  /// Where the VHD files are.
  public var storage: any Storage { model.storage }
  /// The engine options every tapdisk opens its chain with.
  public var engine: EngineOptions { model.engine.options }

  /// Keep a per-VDI log of guest writes and give every written sector its `SectorTag` as data, so
  /// snapshots can be checked (`ConsistencyOracle`). Needs a device that keeps data (`.inMemory`).
  /// Set before the run.
  public var recordWrites: Bool {
    get { model.journal.recordWrites }
    set { model.journal.recordWrites = newValue }
  }

  /// The VDI's guest writes, in the order their data reached the engine (empty unless `recordWrites`).
  public func writeLog(vdi: Int) -> [WriteRecord] { model.journal.writeLogs[vdi] }

  func writeLogIfAttached(vdi: Int) -> [WriteRecord]? {
    model.journal.writeLogs.indices.contains(vdi) ? model.journal.writeLogs[vdi] : nil
  }

  /// Every scheduled snapshot, in scheduling order, with what happened to it so far.
  public var snapshots: [SnapshotRecord] { model.journal.snapshots }

  /// Flushes the generators issued (acknowledged at once).
  public var flushes: Int { model.flushes }

  /// Record one `TraceRecord` per request (small runs).
  public var recordTrace: Bool {
    get { model.metrics.recordTrace }
    set { model.metrics.recordTrace = newValue }
  }

  /// Sample the time series every `interval` (nil: no time series).
  public var sampleInterval: SimTime? {
    get { model.metrics.sampleInterval }
    set { model.metrics.sampleInterval = newValue }
  }

  /// The warm-up no metric counts (docs/simulation.md#warm-up): none by default here; scenario runs
  /// default to MSER-5. Set before the run.
  public var warmup: WarmupRule {
    get { model.metrics.warmup.rule }
    set { model.metrics.warmup.rule = newValue }
  }

  public var placement: SRPlacement { model.tap.placement }
  public var now: SimTime { sim.now }

  /// Starts a tapdisk with the chain ending at `leafPath` open read-write and places every level on
  /// the device. Returns the VDI's index.
  func startTapdisk(leafPath: String, maxOutstanding: Int) throws -> Int {
    guard maxOutstanding > 0 else { throw PoolError("tapdisk max outstanding requests must be positive") }
    let chain = try model.engine.open(leafPath)
    let volumes = try model.tap.state.pointee.placement.attachVolumes(of: chain)
    model.tapdisks.append(
      Tapdisk(chain: chain, leafPath: leafPath, levelVolumes: volumes, maxOutstanding: maxOutstanding))
    model.journal.writeLogs.append([])
    return model.tapdisks.count - 1
  }

  /// The chain a tapdisk has open now.
  public func chain(vdi: Int) -> VHDChain { model.tapdisks[vdi].chain }

  /// How tapdisk `vdi`'s thread collected completions in turns (zero where the pool does not serve
  /// I/Os one at a time through the thread).
  public func collections(vdi: Int) -> CollectionCounts { model.tapdisks[vdi].thread.collections }

  /// Adds a VM running `workload` against `vdi`; its requests start at time zero. At epoch
  /// resolution (an open-loop workload only) its I/O is applied in bulk
  /// (docs/simulation.md#epoch-resolution); VMs are numbered across both resolutions.
  @discardableResult
  public func addVM(vdi: Int, workload: WorkloadSpec, resolution: GuestResolution = .request) throws -> Int {
    guard model.tapdisks.indices.contains(vdi) else { throw PoolError("no attached VDI \(vdi)") }
    if case .epoch(let length) = resolution {
      return try addEpochVM(vdi: vdi, workload: workload, length: length)
    }
    let generator = try BuiltInWorkload(
      spec: workload, virtualSize: model.tapdisks[vdi].chain.virtualSize, random: vmStream(vmCount))
    maxRequestBytes = Swift.max(maxRequestBytes, workload.largestRequestBytes)
    return try addVM(vdi: vdi, generator: generator)
  }

  /// The generator driving VM `vm` as it is now (after a run: its final state, e.g. the install
  /// generator's files with their durability points); a built-in workload's is its own generator.
  public func generator(vm: Int) -> (any RequestGenerator)? {
    model.vms.indices.contains(vm) ? model.vms[vm].generator : nil
  }

  /// VM `index`'s random stream, named after the VM under (scenario, seed).
  private func vmStream(_ index: Int) -> RandomStream {
    RandomStream(scenario: scenario, replication: Int(truncatingIfNeeded: seed), stream: "vm\(index)")
  }

  /// Adds a VM whose requests come from `generator` (any `Workloads.RequestGenerator`: its `loop` says
  /// whether requests follow completions or arrive on their own clock). Flushes are acknowledged at
  /// once; a request past the end of the disk stops the run with an error.
  @discardableResult
  public func addVM(vdi: Int, generator: any RequestGenerator) throws -> Int {
    guard model.tapdisks.indices.contains(vdi) else { throw PoolError("no attached VDI \(vdi)") }
    if case .closed(let depth) = generator.loop, depth < 1 {
      throw PoolError("generator I/O depth \(depth) must be at least 1")
    }
    model.vms.append(VirtualMachine(vdi: vdi, generator: generator))
    return vmCount - 1
  }

  /// VMs added so far, at either resolution.
  var vmCount: Int { model.vms.count + model.epochGuests.count }

  private func addEpochVM(vdi: Int, workload: WorkloadSpec, length: SimTime) throws -> Int {
    guard length > .zero else { throw PoolError("epoch length \(length) must be positive") }
    guard !model.journal.recordWrites else {
      throw PoolError("a pool that records writes for a consistency check needs request resolution")
    }
    let guest = try EpochGuest(
      vdi: vdi, spec: workload, virtualSize: model.tapdisks[vdi].chain.virtualSize, random: vmStream(vmCount))
    model.epochGuestOfTapdisk[vdi] = model.epochGuests.count
    model.epochGuests.append(guest)
    model.epochLength = Swift.min(model.epochLength ?? length, length)
    return vmCount - 1
  }

  /// Snapshots attached VDI `vdi` at `time` as a VM snapshot does (an SR double snapshot: pause, the
  /// leaf becomes a hidden base copy with the new leaf and the snapshot VDI as its children, reopen,
  /// unpause) and records it for the consistency check: the write cut at the pause, the writes in
  /// flight, the snapshot VDI's path and the stall (`snapshots`).
  ///
  /// - Parameter skipDrain: deliberately broken: the snapshot is taken at the pause while requests are
  ///   in flight, and those writes land in the new leaf afterwards. For testing the oracle only.
  /// - Returns: the snapshot's index in `snapshots`.
  @discardableResult
  public func scheduleSnapshot(vdi: Int, at time: SimTime, skipDrain: Bool = false) throws -> Int {
    let k = model.journal.snapshots.count
    let operation = try scheduleSRSnapshot(vdi: vdi, at: time, kind: .double)
    model.host.operations[operation].journalSnapshot = k
    model.journal.snapshots.append(
      SnapshotRecord(
        index: k, vdi: vdi, skipDrain: skipDrain, requestedAt: time, cut: 0, inFlightWrites: []))
    if skipDrain { model.journal.keepPreimages = true }
    return k
  }

  /// Pauses the VDI's tapdisk at `time` (drain in flight, hold new requests).
  public func schedulePause(vdi: Int, at time: SimTime) {
    sim.schedule(.pause(vdi: Int32(vdi)), at: time)
  }

  /// Unpauses at `time`; with `reopen`, first reopens the chain and reads its metadata through the disk.
  public func scheduleUnpause(vdi: Int, at time: SimTime, reopen: Bool = false) {
    sim.schedule(.unpause(vdi: Int32(vdi), reopen: reopen), at: time)
  }

  /// Every VM makes its first requests (a closed-loop VM as many as its I/O depth), and the first
  /// sample is due now.
  private func start() {
    guard !started else { return }
    started = true
    _ = model.engine.buffer(bytes: maxRequestBytes)
    for i in model.vms.indices {
      if case .closed(let depth) = model.vms[i].generator.loop {
        for _ in 0..<depth { model.pull(i, sim: &sim) }
      } else {
        model.pull(i, sim: &sim)
      }
    }
    if model.metrics.sampleInterval != nil { sim.schedule(.sample, at: sim.now) }
    if let length = model.epochLength { sim.schedule(.epochTick, at: sim.now + length) }
  }

  /// Runs `duration` more simulated time and returns everything measured since time zero, less the
  /// warm-up (``warmup``). Requests still in flight at the end are not counted. Throws the first engine
  /// or placement error.
  /// `progress` (for a progress bar) is called with the fraction of `duration` simulated, after each
  /// hundredth: the kernel runs to each boundary in turn, which handles the same events in the same
  /// order as one run to the end, so the results do not change.
  @discardableResult
  public func run(for duration: SimTime, progress: ((Double) -> Void)? = nil) throws -> RunResult {
    start()
    let from = sim.now
    if let progress, duration.nanoseconds >= 100 {
      for i in 1...100 {
        let limit =
          i == 100 ? from + duration : from + SimTime(nanoseconds: duration.nanoseconds / 100 * Int64(i))
        let outcome = sim.run(&model, until: limit)
        progress(Double(i) / 100)
        if outcome == .stopped || model.failure != nil { break }
      }
    } else {
      sim.run(&model, until: from + duration)
    }
    return try measured()
  }

  /// Runs until nothing is left to happen — every VM's stream ended and every request completed (a
  /// trace replayed once) — and returns what was measured; the run's duration is the last completion.
  /// A pool that samples its state or scans its SR periodically never idles, so that is an error.
  @discardableResult
  public func runToCompletion() throws -> RunResult {
    guard model.metrics.sampleInterval == nil, model.host.daemon.settings.autoScanInterval == nil else {
      throw PoolError(
        "a pool with periodic samples or SR scans never runs out of events; run it for a duration")
    }
    start()
    sim.run(&model)
    return try measured()
  }

  /// The result at the current time: warm-up cut, disks and GC closed.
  private func measured() throws -> RunResult {
    if let f = model.failure { throw f }
    try model.catchUpEpochs(before: nil, at: sim.now)
    var r = model.metrics.result
    r.duration = sim.now
    // Epoch resolution times nothing, so there is no latency to detect a warm-up in: nothing is cut.
    if model.epochGuests.isEmpty {
      r = model.metrics.warmup.apply(to: r)
    } else {
      r.epochLength = model.epochLength
    }
    r.disks = [model.disk.statistics(at: sim.now)]
    try model.host.recordSpace(at: sim.now)
    if model.host.daemon.settings.enabled { r.gc = model.host.finalResult(at: sim.now) }
    return r
  }

  /// Disk totals for queueing checks: completed requests, Σ response, Σ service.
  public var diskTotals: (completed: Int, responseSum: SimTime, serviceSum: SimTime) {
    (model.disk.completed, model.disk.responseSum, model.disk.serviceSum)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// A pool to simulate: one SR on one physical disk, the VDIs attached to it (one tapdisk each), the VMs
/// that drive them, and scheduled pauses. Build it, `run(for:)`, read the `RunResult`.
///
/// Randomness comes only from streams named after each VM under (scenario, seed), so a seed gives the
/// same result bit for bit, and adding a VM leaves the others' request streams unchanged.
public final class PoolSimulation {
  public let scenario: String
  public let seed: UInt64
  var sim = Simulator<PoolEvent>(capacity: 4_096)
  var model: PoolModel
  var maxRequestBytes = 4096
  var started = false

  /// - Parameters:
  ///   - disk: the physical device's timing model.
  ///   - sr: file or LVM layout of the VHDs on that device.
  ///   - storage: where the VHD files are (the engine's real state).
  ///   - engine: engine options every tapdisk opens its chain with.
  public init(
    disk: any DiskModel, sr: SRPlacement.Kind, storage: any Storage, engine: EngineOptions = .init(),
    seed: UInt64 = 1, scenario: String = "pool"
  ) {
    self.scenario = scenario
    self.seed = seed
    model = PoolModel(
      disk: disk, placement: SRPlacement(kind: sr, capacity: disk.capacityBytes), storage: storage,
      engine: engine)
  }

  /// Record one `TraceRecord` per request (small runs).
  public var recordTrace: Bool {
    get { model.recordTrace }
    set { model.recordTrace = newValue }
  }

  /// Sample the time series every `interval` (nil: no time series).
  public var sampleInterval: SimTime? {
    get { model.sampleInterval }
    set { model.sampleInterval = newValue }
  }

  public var placement: SRPlacement { model.tap.placement }
  public var now: SimTime { sim.now }

  /// Attaches the VDI whose leaf is `leafPath`: starts a tapdisk with the chain open read-write and
  /// places every level on the SR. Returns the VDI's index.
  public func attach(leafPath: String, maxOutstanding: Int = 64) throws -> Int {
    guard maxOutstanding > 0 else { throw PoolError("tapdisk max outstanding requests must be positive") }
    let chain = try VHDChain.open(leafPath, storage: model.storage, writable: true, options: model.engine)
    chain.setObserver(model.tap)
    let volumes = try PoolModel.attachVolumes(chain, placement: &model.tap.state.pointee.placement)
    model.tapdisks.append(
      Tapdisk(chain: chain, leafPath: leafPath, levelVolumes: volumes, maxOutstanding: maxOutstanding))
    return model.tapdisks.count - 1
  }

  /// The chain a tapdisk has open now.
  public func chain(vdi: Int) -> VHDChain { model.tapdisks[vdi].chain }

  /// Adds a VM running `workload` against `vdi`; its requests start at time zero.
  @discardableResult
  public func addVM(vdi: Int, workload: WorkloadSpec) throws -> Int {
    guard model.tapdisks.indices.contains(vdi) else { throw PoolError("no attached VDI \(vdi)") }
    try workload.validate(virtualSize: model.tapdisks[vdi].chain.virtualSize)
    let index = model.vms.count
    let stream = RandomStream(
      scenario: scenario, replication: Int(truncatingIfNeeded: seed), stream: "vm\(index)")
    model.vms.append(
      VirtualMachine(
        vdi: vdi, spec: workload, virtualSize: model.tapdisks[vdi].chain.virtualSize, random: stream))
    maxRequestBytes = Swift.max(maxRequestBytes, workload.requestBytes)
    return index
  }

  /// Pauses the VDI's tapdisk at `time` (drain in flight, hold new requests).
  public func schedulePause(vdi: Int, at time: SimTime) {
    sim.schedule(.pause(vdi: Int32(vdi)), at: time)
  }

  /// Unpauses at `time`; with `reopen`, first reopens the chain and reads its metadata through the disk.
  public func scheduleUnpause(vdi: Int, at time: SimTime, reopen: Bool = false) {
    sim.schedule(.unpause(vdi: Int32(vdi), reopen: reopen), at: time)
  }

  private func start() {
    guard !started else { return }
    started = true
    model.buffer = EngineBuffer(bytes: maxRequestBytes)
    for (i, vm) in model.vms.enumerated() {
      switch vm.spec.arrivals {
      case .closedLoop(let depth):
        for _ in 0..<depth { sim.schedule(.issue(vm: Int32(i)), at: sim.now) }
      case .openLoop:
        sim.schedule(.arrival(vm: Int32(i)), after: model.vms[i].interarrival())
      }
    }
    if model.sampleInterval != nil { sim.schedule(.sample, at: sim.now) }
  }

  /// Runs `duration` more simulated time and returns everything measured since time zero. Requests
  /// still in flight at the end are not counted. Throws the first engine or placement error.
  @discardableResult
  public func run(for duration: SimTime) throws -> RunResult {
    start()
    sim.run(&model, until: sim.now + duration)
    if let f = model.failure { throw f }
    var r = model.result
    r.duration = sim.now
    r.disks = [model.disk.statistics(at: sim.now)]
    return r
  }

  /// Disk totals for queueing checks: completed requests, Σ response, Σ service.
  public var diskTotals: (completed: Int, responseSum: SimTime, serviceSum: SimTime) {
    (model.disk.completed, model.disk.responseSum, model.disk.serviceSum)
  }
}

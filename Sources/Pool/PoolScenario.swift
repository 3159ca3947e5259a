// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD
import Workloads

/// A whole single-VDI experiment as plain settings: the chain to build, the device and SR, the engine
/// options and one VM's workload. `vhdsim simulate` and the end-to-end benchmark both run through it,
/// so the CLI only parses arguments and prints.
public struct PoolScenario: Sendable {
  public enum DiskPreset: String, Sendable, CaseIterable {
    case sata7200, nvme, iscsi

    public var profile: DiskProfile {
      switch self {
      case .sata7200: .sata7200
      case .nvme: .nvme
      case .iscsi: .iscsi
      }
    }

    public var model: any DiskModel { profile.model }
  }

  public enum Device: String, Sendable, CaseIterable {
    /// Every byte kept in memory.
    case memory
    /// Metadata kept, data only recorded as written (capacity studies; reads return zeros).
    case metadata
  }

  public var chain: ChainSpec
  public var workload: WorkloadSpec
  public var disk: DiskProfile
  public var sr: SRPlacement.Kind
  public var device: Device
  public var engine: EngineOptions
  public var duration: SimTime
  public var seed: UInt64
  public var maxOutstanding: Int
  public var sampleInterval: SimTime?
  public var recordTrace: Bool
  /// The warm-up no metric counts (docs/simulation.md#warm-up).
  public var warmup: WarmupRule = .none
  /// A trace drives the VM instead of `workload`; replayed once (the run lasts until its last request
  /// completes) unless it repeats, then for `duration`.
  public var trace: TraceWorkloadSpec?

  public init(
    chain: ChainSpec, workload: WorkloadSpec, disk: DiskProfile = .nvme, sr: SRPlacement.Kind = .file,
    device: Device = .metadata, engine: EngineOptions = .init(), duration: SimTime = .seconds(10),
    seed: UInt64 = 1,
    maxOutstanding: Int = 64, sampleInterval: SimTime? = nil, recordTrace: Bool = false
  ) {
    self.chain = chain
    self.workload = workload
    self.disk = disk
    self.sr = sr
    self.device = device
    self.engine = engine
    self.duration = duration
    self.seed = seed
    self.maxOutstanding = maxOutstanding
    self.sampleInterval = sampleInterval
    self.recordTrace = recordTrace
  }

  /// Builds the chain and the pool, ready to run.
  public func makePool() throws -> PoolSimulation {
    let storage = MemoryStorage(flavour: device == .memory ? .inMemory : .metadataOnly)
    let sr = SR.forChains(
      storage: storage, kind: sr, capacity: disk.model.capacityBytes, engine: engine, seed: seed)
    let uuid = try chain.build(in: sr, nameLabel: "vdi")
    let pool = try PoolSimulation(disk: disk.model, sr: sr, seed: seed)
    pool.engineCPU = disk.engineCPU
    pool.recordTrace = recordTrace
    pool.sampleInterval = sampleInterval
    pool.warmup = warmup
    let vdi = try pool.attach(vdi: uuid, maxOutstanding: maxOutstanding)
    if let trace {
      try pool.addVM(
        vdi: vdi, generator: try TraceWorkload(spec: trace, diskSectors: chain.virtualSize / 512))
    } else {
      try pool.addVM(vdi: vdi, workload: workload)
    }
    return pool
  }

  /// Runs the scenario; `progress` as `PoolSimulation.run(for:progress:)` (a trace replayed once
  /// runs to completion, without progress).
  public func run(progress: ((Double) -> Void)? = nil) throws -> RunResult {
    let pool = try makePool()
    if let trace, !trace.repeats { return try pool.runToCompletion() }
    return try pool.run(for: duration, progress: progress)
  }
}

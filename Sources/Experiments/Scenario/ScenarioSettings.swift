// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import StorageRepository
import VHD

/// The settings of one run that policies and sweeps may change: the system under test (SR, disk,
/// device, duration) and the two things a comparison varies (the chain and the engine options).
/// Workloads are not here on purpose: a comparison holds the guests fixed.
public struct ScenarioSettings: Equatable, Sendable {
  /// Simulated seconds.
  public var duration: Double = 10
  public var sr: SRPlacement.Kind = .file
  public var disk: PoolScenario.DiskPreset = .nvme
  public var device: PoolScenario.Device = .metadata
  /// Chain depth: the base plus `depth − 1` snapshots.
  public var depth: Int = 1
  public var sizeMiB: Int = 1024
  public var baseFill: Double = 1
  public var writesPerSnapshot: Int = 64
  public var writePattern: ChainSpec.WritePattern = .random
  /// The engine switches a scenario sets (`engine.batmap`, `engine.bitmap_cache`); the rest default.
  public var engine = EngineOptions(
    bitmapCacheCapacity: EngineOptions.tapdiskBitmapCacheSize, useBATMap: true)
  /// What the `sr` section sets besides the kind.
  public struct SROptions: Equatable, Sendable {
    /// LVM SR `allocation=thin|thick` (`sr.provisioning`; only with `sr.kind: lvm` in a managed SR).
    public var provisioning: LVMProvisioning = .thin
    /// SR size in GiB (`sr.capacity_gib`); nil: the disk's capacity.
    public var capacityGiB: Int?
    /// Independent identical SRs in a managed-SR run, each on its own disk (`sr.count`); scenario-wide,
    /// not a parameter policies or sweeps change.
    public var count = 1
  }
  public var srOptions = SROptions()

  /// LVM SR `allocation=thin|thick` (`sr.provisioning`).
  public var provisioning: LVMProvisioning {
    get { srOptions.provisioning }
    set { srOptions.provisioning = newValue }
  }

  /// SR size in GiB (`sr.capacity_gib`); nil: the disk's capacity.
  public var capacityGiB: Int? {
    get { srOptions.capacityGiB }
    set { srOptions.capacityGiB = newValue }
  }
  /// What the `disk` section sets besides the preset.
  public struct DiskOptions: Equatable, Sendable {
    /// `disk.capacity_gib`; nil: the profile's.
    public var capacityGiB: Int?
    /// `disk.profile`, in place of the preset; a sweep over `disk` presets clears it.
    public var profile: DiskProfile?
  }
  public var diskOptions = DiskOptions()

  /// The disk's size in GiB (`disk.capacity_gib`); nil: the profile's.
  public var diskCapacityGiB: Int? {
    get { diskOptions.capacityGiB }
    set { diskOptions.capacityGiB = newValue }
  }

  /// A profile (`disk.profile`) in place of the preset.
  public var diskProfile: DiskProfile? {
    get { diskOptions.profile }
    set { diskOptions.profile = newValue }
  }

  /// The disk as the scenario names it: its profile, else its preset's.
  public var profile: DiskProfile { diskProfile ?? disk.profile }

  /// The disk model: the profile's, resized when `disk.capacity_gib` says so.
  public var diskModel: any DiskModel {
    var m = profile.model
    if let gib = diskCapacityGiB { m.capacityBytes = UInt64(gib) << 30 }
    return m
  }
  /// The garbage collector of a managed SR (`gc` section).
  public var gc = GCOptions()
  /// The swept rate and the resolution of guest I/O.
  public var guest = GuestOptions()

  public init() {}

  /// Open-loop rate replacing every built-in VM's (`vms.rate`, requests/s); nil: as each group says.
  public var rate: Double? {
    get { guest.rate }
    set { guest.rate = newValue }
  }

  /// The `gc` section's settings in scenario units (seconds, MiB, decoded choices).
  public struct GCOptions: Equatable, Sendable {
    public var enabled = true
    /// `GCPAUSE_DEFAULT_SLEEP`, 300 s as upstream (docs/storage-manager.md#quiet-period; a run kicked
    /// through sm's systemd unit since 2024 takes the immediate path and skips it: set 0 for that).
    public var quietPeriod: Double = 300
    /// The first run after boot skips the quiet period (`gc.first_run_after_boot`).
    public var firstRunAfterBoot = false
    /// xapi's background scan interval; 0: off.
    public var autoScan: Double = 0
    public var concurrency = GCSettings.Concurrency.perSR
    public var candidateOrder = GCPolicy.CandidateOrder.tallestTreeFirst
    /// The design `gc.leaf_coalesce` names, with its default parameters (``design`` applies the
    /// other keys). What XCP does today: `sm`, snapshot-coalesce rounds, then live
    /// (docs/storage-manager.md#leaf-coalesce-designs).
    public var leafCoalesce = LeafCoalesceDesign.sm(.xcp, .v2025_09)
    public var tracker = CoalesceTracker.Variant.v2025_09
    /// The live test (`gc.live_test`, `gc.live_timeout`, `gc.live_max_size_mib`;
    /// docs/storage-manager.md#live-leaf-test).
    public var live = LiveCoalescePolicy.xcp
    /// `offline`: the VM's suspend and resume (`gc.vm_suspend`, `gc.vm_resume`).
    public var offline = OfflineParameters()
    /// `mirror` (`gc.mirror_max_passes`, `gc.mirror_final_delta_mib`).
    public var mirror = MirrorParameters()
    public var operationOverhead: Double = 0
    /// The fixed costs around copies (docs/storage-manager.md#per-round-costs) and `pool.hosts`.
    public var costs = GCCosts()
    public var maxCopyMiB = 4

    public init() {}

    /// The leaf-coalesce design these options name, with their live policy, tracker and mirror
    /// parameters.
    public var design: LeafCoalesceDesign {
      leafCoalesce.with(live: live, tracker: tracker, offline: offline, mirror: mirror)
    }

    /// The pool's GC settings.
    public var settings: GCSettings {
      GCSettings(
        enabled: enabled, quietPeriod: .seconds(quietPeriod), firstRunAfterBoot: firstRunAfterBoot,
        autoScanInterval: autoScan > 0 ? .seconds(autoScan) : nil,
        concurrency: concurrency, policy: GCPolicy(candidateOrder: candidateOrder),
        maxCopyBytes: maxCopyMiB << 20, operationOverhead: .seconds(operationOverhead), costs: costs,
        leafDesign: design)
    }
  }

  /// The storage repository kind of a managed SR.
  public var srKind: SRKind { sr == .file ? .file : .lvm(provisioning) }

  public var virtualSize: UInt64 { UInt64(sizeMiB) << 20 }

  public func chain(seed: UInt64) -> ChainSpec {
    ChainSpec(
      depth: depth, virtualSize: virtualSize, baseFill: baseFill, writesPerSnapshot: writesPerSnapshot,
      writePattern: writePattern, seed: seed)
  }

  /// The value a parameter has in these settings.
  public subscript(parameter: ScenarioParameter) -> ScenarioValue {
    get {
      switch parameter {
      case .duration: .number(duration)
      case .sr: .sr(sr)
      case .disk: .disk(disk)
      case .device: .device(device)
      case .chainDepth: .integer(depth)
      case .chainSizeMiB: .integer(sizeMiB)
      case .chainBaseFill: .number(baseFill)
      case .chainWritesPerSnapshot: .integer(writesPerSnapshot)
      case .chainWritePattern: .writePattern(writePattern)
      case .engineBATMap: .flag(engine.useBATMap)
      case .engineBitmapCache: .integer(engine.bitmapCacheCapacity)
      case .srProvisioning: .provisioning(provisioning)
      case .srCapacityGiB: .integer(capacityGiB ?? 0)
      case .diskCapacityGiB: .integer(diskCapacityGiB ?? 0)
      case .gcEnabled: .flag(gc.enabled)
      case .gcQuietPeriod: .number(gc.quietPeriod)
      case .gcFirstRunAfterBoot: .flag(gc.firstRunAfterBoot)
      case .gcAutoScan: .number(gc.autoScan)
      case .gcConcurrency: .concurrency(gc.concurrency)
      case .gcCandidateOrder: .candidateOrder(gc.candidateOrder)
      case .gcLeafCoalesce: .leafCoalesce(gc.leafCoalesce)
      case .gcTracker: .tracker(gc.tracker)
      case .gcLiveTest: .liveTest(gc.live.liveTest)
      case .gcLiveTimeout: .number(gc.live.timeoutSeconds)
      case .gcLiveMaxSizeMiB: .integer(Int(gc.live.maxSizeWithoutEstimate >> 20))
      case .gcMirrorMaxPasses: .integer(gc.mirror.maxPasses)
      case .gcMirrorFinalDeltaMiB: .integer(Int(gc.mirror.finalDeltaBytes >> 20))
      case .gcVMSuspend: .number(gc.offline.suspendSeconds)
      case .gcVMResume: .number(gc.offline.resumeSeconds)
      case .gcOperationOverhead: .number(gc.operationOverhead)
      case .gcXAPICall: .number(gc.costs.xapiCall.seconds)
      case .gcCommandStart: .number(gc.costs.commandStart.seconds)
      case .gcSMSnapshot: .number(gc.costs.smSnapshot.seconds)
      case .gcTapdiskRefresh: .number(gc.costs.tapdiskRefresh.seconds)
      case .gcHostRoundTrip: .number(gc.costs.hostRoundTrip.seconds)
      case .gcMetadataIO: .flag(gc.costs.metadataIO)
      case .poolHosts: .integer(gc.costs.hosts)
      case .gcMaxCopyMiB: .integer(gc.maxCopyMiB)
      case .vmsRate: .number(rate ?? 0)
      case .resolution: .resolution(guest.resolution)
      case .epoch: .number(guest.epochSeconds)
      }
    }
    set {
      // Values reach here only through `ScenarioParameter.decode`, which produced the matching case;
      // anything else is a programming error, never a silent no-op.
      switch (parameter, newValue) {
      case (.duration, .number(let v)): duration = v
      case (.sr, .sr(let v)): sr = v
      case (.disk, .disk(let v)):
        disk = v
        diskProfile = nil
      case (.device, .device(let v)): device = v
      case (.chainDepth, .integer(let v)): depth = v
      case (.chainSizeMiB, .integer(let v)): sizeMiB = v
      case (.chainBaseFill, .number(let v)): baseFill = v
      case (.chainWritesPerSnapshot, .integer(let v)): writesPerSnapshot = v
      case (.chainWritePattern, .writePattern(let v)): writePattern = v
      case (.engineBATMap, .flag(let v)): engine.useBATMap = v
      case (.engineBitmapCache, .integer(let v)): engine.bitmapCacheCapacity = v
      case (.srProvisioning, .provisioning(let v)): provisioning = v
      case (.srCapacityGiB, .integer(let v)): capacityGiB = v
      case (.diskCapacityGiB, .integer(let v)): diskCapacityGiB = v
      case (.gcEnabled, .flag(let v)): gc.enabled = v
      case (.gcQuietPeriod, .number(let v)): gc.quietPeriod = v
      case (.gcFirstRunAfterBoot, .flag(let v)): gc.firstRunAfterBoot = v
      case (.gcAutoScan, .number(let v)): gc.autoScan = v
      case (.gcConcurrency, .concurrency(let v)): gc.concurrency = v
      case (.gcCandidateOrder, .candidateOrder(let v)): gc.candidateOrder = v
      case (.gcLeafCoalesce, .leafCoalesce(let v)): gc.leafCoalesce = v
      case (.gcTracker, .tracker(let v)): gc.tracker = v
      case (.gcLiveTest, .liveTest(let v)): gc.live.liveTest = v
      case (.gcLiveTimeout, .number(let v)): gc.live.timeoutSeconds = v
      case (.gcLiveMaxSizeMiB, .integer(let v)): gc.live.maxSizeWithoutEstimate = UInt64(v) << 20
      case (.gcMirrorMaxPasses, .integer(let v)): gc.mirror.maxPasses = v
      case (.gcMirrorFinalDeltaMiB, .integer(let v)): gc.mirror.finalDeltaBytes = UInt64(v) << 20
      case (.gcVMSuspend, .number(let v)): gc.offline.suspendSeconds = v
      case (.gcVMResume, .number(let v)): gc.offline.resumeSeconds = v
      case (.gcOperationOverhead, .number(let v)): gc.operationOverhead = v
      case (.gcXAPICall, .number(let v)): gc.costs.xapiCall = .seconds(v)
      case (.gcCommandStart, .number(let v)): gc.costs.commandStart = .seconds(v)
      case (.gcSMSnapshot, .number(let v)): gc.costs.smSnapshot = .seconds(v)
      case (.gcTapdiskRefresh, .number(let v)): gc.costs.tapdiskRefresh = .seconds(v)
      case (.gcHostRoundTrip, .number(let v)): gc.costs.hostRoundTrip = .seconds(v)
      case (.gcMetadataIO, .flag(let v)): gc.costs.metadataIO = v
      case (.poolHosts, .integer(let v)): gc.costs.hosts = v
      case (.gcMaxCopyMiB, .integer(let v)): gc.maxCopyMiB = v
      case (.vmsRate, .number(let v)): rate = v
      case (.resolution, .resolution(let v)): guest.resolution = v
      case (.epoch, .number(let v)): guest.epochSeconds = v
      default: preconditionFailure("\(parameter.rawValue) cannot take the value \(newValue)")
      }
    }
  }
}

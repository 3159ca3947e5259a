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
  /// LVM SR `allocation=thin|thick` (`sr.provisioning`; only with `sr.kind: lvm` in a managed SR).
  public var provisioning: LVMProvisioning = .thin
  /// SR size in GiB (`sr.capacity_gib`); nil: the disk's capacity.
  public var capacityGiB: Int?
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
  /// Open-loop rate replacing every built-in VM's (`vms.rate`, requests/s); nil: as each group says.
  public var rate: Double?

  public init() {}

  /// The `gc` section's settings in scenario units (seconds, MiB, decoded choices).
  public struct GCOptions: Equatable, Sendable {
    public var enabled = true
    /// Off by default: systemd-kicked GC runs skip `GCPAUSE_DEFAULT_SLEEP` (300 s) since 2024
    /// (docs/storage-manager.md#quiet-period).
    public var quietPeriod: Double = 0
    /// xapi's background scan interval; 0: off.
    public var autoScan: Double = 0
    public var concurrency = GCSettings.Concurrency.perSR
    public var candidateOrder = GCPolicy.CandidateOrder.tallestTreeFirst
    /// The design `gc.leaf_coalesce` names, with its default parameters (``design`` applies the
    /// other keys). What XCP does today: snapshot-coalesce, then live
    /// (docs/storage-manager.md#leaf-coalesce).
    public var leafCoalesce = LeafCoalesceDesign.snapshotCoalesce(.xcp, .v2025_09)
    public var tracker = CoalesceTracker.Variant.v2025_09
    /// The live test's form (docs/storage-manager.md#xcp-ng-82-live-test).
    public var liveTest = LiveCoalescePolicy.LiveTest.upstream
    public var liveTimeout: Double = 10
    public var liveMaxSizeMiB = 20
    public var mirrorMaxPasses = 8
    public var mirrorFinalDeltaMiB = 8
    public var operationOverhead: Double = 0
    public var maxCopyMiB = 4

    public init() {}

    /// The leaf-coalesce design these options name, with their live policy, tracker and mirror
    /// parameters.
    public var design: LeafCoalesceDesign {
      var live = LiveCoalescePolicy.xcp
      live.timeoutSeconds = liveTimeout
      live.liveTest = liveTest
      live.maxSizeWithoutEstimate = UInt64(liveMaxSizeMiB) << 20
      return leafCoalesce.with(
        live: live, tracker: tracker,
        mirror: MirrorParameters(
          maxPasses: mirrorMaxPasses, finalDeltaBytes: UInt64(mirrorFinalDeltaMiB) << 20))
    }

    /// The pool's GC settings.
    public var settings: GCSettings {
      GCSettings(
        enabled: enabled, quietPeriod: .seconds(quietPeriod),
        autoScanInterval: autoScan > 0 ? .seconds(autoScan) : nil,
        concurrency: concurrency, policy: GCPolicy(candidateOrder: candidateOrder),
        maxCopyBytes: maxCopyMiB << 20, operationOverhead: .seconds(operationOverhead),
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
      case .gcAutoScan: .number(gc.autoScan)
      case .gcConcurrency: .concurrency(gc.concurrency)
      case .gcCandidateOrder: .candidateOrder(gc.candidateOrder)
      case .gcLeafCoalesce: .leafCoalesce(gc.leafCoalesce)
      case .gcTracker: .tracker(gc.tracker)
      case .gcLiveTest: .liveTest(gc.liveTest)
      case .gcLiveTimeout: .number(gc.liveTimeout)
      case .gcLiveMaxSizeMiB: .integer(gc.liveMaxSizeMiB)
      case .gcMirrorMaxPasses: .integer(gc.mirrorMaxPasses)
      case .gcMirrorFinalDeltaMiB: .integer(gc.mirrorFinalDeltaMiB)
      case .gcOperationOverhead: .number(gc.operationOverhead)
      case .gcMaxCopyMiB: .integer(gc.maxCopyMiB)
      case .vmsRate: .number(rate ?? 0)
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
      case (.gcAutoScan, .number(let v)): gc.autoScan = v
      case (.gcConcurrency, .concurrency(let v)): gc.concurrency = v
      case (.gcCandidateOrder, .candidateOrder(let v)): gc.candidateOrder = v
      case (.gcLeafCoalesce, .leafCoalesce(let v)): gc.leafCoalesce = v
      case (.gcTracker, .tracker(let v)): gc.tracker = v
      case (.gcLiveTest, .liveTest(let v)): gc.liveTest = v
      case (.gcLiveTimeout, .number(let v)): gc.liveTimeout = v
      case (.gcLiveMaxSizeMiB, .integer(let v)): gc.liveMaxSizeMiB = v
      case (.gcMirrorMaxPasses, .integer(let v)): gc.mirrorMaxPasses = v
      case (.gcMirrorFinalDeltaMiB, .integer(let v)): gc.mirrorFinalDeltaMiB = v
      case (.gcOperationOverhead, .number(let v)): gc.operationOverhead = v
      case (.gcMaxCopyMiB, .integer(let v)): gc.maxCopyMiB = v
      case (.vmsRate, .number(let v)): rate = v
      default: preconditionFailure("\(parameter.rawValue) cannot take the value \(newValue)")
      }
    }
  }
}

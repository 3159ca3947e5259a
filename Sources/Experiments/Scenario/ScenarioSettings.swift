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
  public var batmap: Bool = true
  public var bitmapCache: Int = EngineOptions.tapdiskBitmapCacheSize
  /// LVM SR `allocation=thin|thick` (`sr.provisioning`; only with `sr.kind: lvm` in a managed SR).
  public var provisioning: LVMProvisioning = .thin
  /// SR size in GiB (`sr.capacity_gib`); nil: the disk's capacity.
  public var capacityGiB: Int?
  /// The disk's size in GiB (`disk.capacity_gib`); nil: the preset's.
  public var diskCapacityGiB: Int?

  /// The disk model: the preset, resized when `disk.capacity_gib` says so.
  public var diskModel: any DiskModel {
    var m = disk.model
    if let gib = diskCapacityGiB { m.capacityBytes = UInt64(gib) << 30 }
    return m
  }
  /// The garbage collector of a managed SR (`gc` section).
  public var gc = GCOptions()
  /// Open-loop rate replacing every built-in VM's (`vms.rate`, requests/s); nil: as each group says.
  public var rate: Double?

  public init() {}

  /// The `gc` section's settings in scenario units (seconds, MiB, names).
  public struct GCOptions: Equatable, Sendable {
    public var enabled = true
    /// Off by default: systemd-kicked GC runs skip `GCPAUSE_DEFAULT_SLEEP` (300 s) since 2024
    /// (docs/storage-manager.md#quiet-period).
    public var quietPeriod: Double = 0
    /// xapi's background scan interval; 0: off.
    public var autoScan: Double = 0
    public var concurrency = "per-sr"
    public var candidateOrder = "tallest-tree-first"
    /// What XCP does today: snapshot-coalesce, then live (docs/storage-manager.md#leaf-coalesce).
    public var leafCoalesce = "snapshot-coalesce"
    public var tracker = CoalesceTracker.Variant.v2025_09.name
    public var liveTimeout: Double = 10
    public var liveMaxSizeMiB = 20
    public var mirrorMaxPasses = 8
    public var mirrorFinalDeltaMiB = 8
    public var operationOverhead: Double = 0
    public var maxCopyMiB = 4

    public init() {}

    /// The leaf-coalesce design these options name.
    public var design: LeafCoalesceDesign {
      var live = LiveCoalescePolicy.xcp
      live.timeoutSeconds = liveTimeout
      live.maxSizeWithoutEstimate = UInt64(liveMaxSizeMiB) << 20
      switch leafCoalesce {
      case "live": return .live(live)
      case "snapshot-coalesce":
        return .snapshotCoalesce(live, CoalesceTracker.Variant(name: tracker) ?? .v2025_09)
      case "offline": return .offline
      case "mirror":
        return .mirror(
          MirrorParameters(maxPasses: mirrorMaxPasses, finalDeltaBytes: UInt64(mirrorFinalDeltaMiB) << 20))
      default: return .none
      }
    }

    /// The pool's GC settings.
    public var settings: GCSettings {
      let order: GCPolicy.CandidateOrder =
        switch candidateOrder {
        case "discovery": .discovery
        case "smallest-first": .smallestFirst
        default: .tallestTreeFirst
        }
      return GCSettings(
        enabled: enabled, quietPeriod: .seconds(quietPeriod),
        autoScanInterval: autoScan > 0 ? .seconds(autoScan) : nil,
        concurrency: concurrency == "per-tree" ? .perTree : .perSR, policy: GCPolicy(candidateOrder: order),
        maxCopyBytes: maxCopyMiB << 20, operationOverhead: .seconds(operationOverhead),
        leafDesign: design)
    }
  }

  /// The storage repository kind of a managed SR.
  public var srKind: SRKind { sr == .file ? .file : .lvm(provisioning) }

  public var virtualSize: UInt64 { UInt64(sizeMiB) << 20 }

  public var engine: EngineOptions { EngineOptions(bitmapCacheCapacity: bitmapCache, useBATMap: batmap) }

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
      case .sr: .name(sr.rawValue)
      case .disk: .name(disk.rawValue)
      case .device: .name(device.rawValue)
      case .chainDepth: .integer(depth)
      case .chainSizeMiB: .integer(sizeMiB)
      case .chainBaseFill: .number(baseFill)
      case .chainWritesPerSnapshot: .integer(writesPerSnapshot)
      case .chainWritePattern: .name(writePattern.rawValue)
      case .engineBATMap: .flag(batmap)
      case .engineBitmapCache: .integer(bitmapCache)
      case .srProvisioning: .name(provisioning == .thin ? "thin" : "thick")
      case .srCapacityGiB: .integer(capacityGiB ?? 0)
      case .diskCapacityGiB: .integer(diskCapacityGiB ?? 0)
      case .gcEnabled: .flag(gc.enabled)
      case .gcQuietPeriod: .number(gc.quietPeriod)
      case .gcAutoScan: .number(gc.autoScan)
      case .gcConcurrency: .name(gc.concurrency)
      case .gcCandidateOrder: .name(gc.candidateOrder)
      case .gcLeafCoalesce: .name(gc.leafCoalesce)
      case .gcTracker: .name(gc.tracker)
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
      // Values reach here only through `ScenarioParameter.decode`, which produced the matching case.
      switch (parameter, newValue) {
      case (.duration, .number(let v)): duration = v
      case (.sr, .name(let v)): sr = SRPlacement.Kind(rawValue: v) ?? sr
      case (.disk, .name(let v)): disk = PoolScenario.DiskPreset(rawValue: v) ?? disk
      case (.device, .name(let v)): device = PoolScenario.Device(rawValue: v) ?? device
      case (.chainDepth, .integer(let v)): depth = v
      case (.chainSizeMiB, .integer(let v)): sizeMiB = v
      case (.chainBaseFill, .number(let v)): baseFill = v
      case (.chainWritesPerSnapshot, .integer(let v)): writesPerSnapshot = v
      case (.chainWritePattern, .name(let v)):
        writePattern = ChainSpec.WritePattern(rawValue: v) ?? writePattern
      case (.engineBATMap, .flag(let v)): batmap = v
      case (.engineBitmapCache, .integer(let v)): bitmapCache = v
      case (.srProvisioning, .name(let v)): provisioning = v == "thick" ? .thick : .thin
      case (.srCapacityGiB, .integer(let v)): capacityGiB = v
      case (.diskCapacityGiB, .integer(let v)): diskCapacityGiB = v
      case (.gcEnabled, .flag(let v)): gc.enabled = v
      case (.gcQuietPeriod, .number(let v)): gc.quietPeriod = v
      case (.gcAutoScan, .number(let v)): gc.autoScan = v
      case (.gcConcurrency, .name(let v)): gc.concurrency = v
      case (.gcCandidateOrder, .name(let v)): gc.candidateOrder = v
      case (.gcLeafCoalesce, .name(let v)): gc.leafCoalesce = v
      case (.gcTracker, .name(let v)): gc.tracker = v
      case (.gcLiveTimeout, .number(let v)): gc.liveTimeout = v
      case (.gcLiveMaxSizeMiB, .integer(let v)): gc.liveMaxSizeMiB = v
      case (.gcMirrorMaxPasses, .integer(let v)): gc.mirrorMaxPasses = v
      case (.gcMirrorFinalDeltaMiB, .integer(let v)): gc.mirrorFinalDeltaMiB = v
      case (.gcOperationOverhead, .number(let v)): gc.operationOverhead = v
      case (.gcMaxCopyMiB, .integer(let v)): gc.maxCopyMiB = v
      case (.vmsRate, .number(let v)): rate = v
      default: break
      }
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
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
  public var batmap: Bool = true
  public var bitmapCache: Int = EngineOptions.tapdiskBitmapCacheSize

  public init() {}

  public var virtualSize: UInt64 { UInt64(sizeMiB) << 20 }

  public var engine: EngineOptions { EngineOptions(bitmapCacheCapacity: bitmapCache, useBATMap: batmap) }

  public func chain(seed: UInt64) -> ChainSpec {
    ChainSpec(
      depth: depth, virtualSize: virtualSize, baseFill: baseFill, writesPerSnapshot: writesPerSnapshot,
      seed: seed)
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
      case .engineBATMap: .flag(batmap)
      case .engineBitmapCache: .integer(bitmapCache)
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
      case (.engineBATMap, .flag(let v)): batmap = v
      case (.engineBitmapCache, .integer(let v)): bitmapCache = v
      default: break
      }
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import StorageRepository
import VHD

/// A setting that policies may override and sweeps may vary, named by its dotted path in the file
/// (`chain.depth`, `engine.batmap`, `disk`). One table of names, units and ranges serves the base
/// settings, the policies and the sweeps, so the three can never disagree about what is valid.
public enum ScenarioParameter: String, CaseIterable, Hashable, Sendable {
  case duration
  case sr
  case disk
  case device
  case chainDepth = "chain.depth"
  case chainSizeMiB = "chain.size_mib"
  case chainBaseFill = "chain.base_fill"
  case chainWritesPerSnapshot = "chain.writes_per_snapshot"
  case chainWritePattern = "chain.write_pattern"
  case engineBATMap = "engine.batmap"
  case engineBitmapCache = "engine.bitmap_cache"
  case srProvisioning = "sr.provisioning"
  case srCapacityGiB = "sr.capacity_gib"
  case diskCapacityGiB = "disk.capacity_gib"
  case gcEnabled = "gc.enabled"
  case gcQuietPeriod = "gc.quiet_period"
  case gcFirstRunAfterBoot = "gc.first_run_after_boot"
  case gcAutoScan = "gc.auto_scan"
  case gcConcurrency = "gc.concurrency"
  case gcCandidateOrder = "gc.candidate_order"
  case gcLeafCoalesce = "gc.leaf_coalesce"
  case gcTracker = "gc.tracker"
  case gcLiveTest = "gc.live_test"
  case gcLiveTimeout = "gc.live_timeout"
  case gcLiveMaxSizeMiB = "gc.live_max_size_mib"
  case gcMirrorMaxPasses = "gc.mirror_max_passes"
  case gcMirrorFinalDeltaMiB = "gc.mirror_final_delta_mib"
  case gcVMSuspend = "gc.vm_suspend"
  case gcVMResume = "gc.vm_resume"
  case gcOperationOverhead = "gc.operation_overhead"
  case gcXAPICall = "gc.xapi_call"
  case gcCommandStart = "gc.command_start"
  case gcSMSnapshot = "gc.sm_snapshot"
  case gcTapdiskRefresh = "gc.tapdisk_refresh"
  case gcHostRoundTrip = "gc.host_round_trip"
  case gcMetadataIO = "gc.metadata_io"
  case poolHosts = "pool.hosts"
  case gcMaxCopyMiB = "gc.max_copy_mib"
  case vmsRate = "vms.rate"
  case resolution
  case epoch

  /// Parameters a policy may override (its `chain` and `engine` sections).
  public static let policyParameters: [ScenarioParameter] =
    [
      .chainDepth, .chainSizeMiB, .chainBaseFill, .chainWritesPerSnapshot, .chainWritePattern, .engineBATMap,
      .engineBitmapCache,
    ]
    + gcParameters + [.poolHosts, .resolution, .epoch]

  /// The `gc` section's keys (base settings and policy overrides).
  public static let gcParameters: [ScenarioParameter] = [
    .gcEnabled, .gcQuietPeriod, .gcFirstRunAfterBoot, .gcAutoScan, .gcConcurrency, .gcCandidateOrder,
    .gcLeafCoalesce, .gcTracker,
    .gcLiveTest, .gcLiveTimeout, .gcLiveMaxSizeMiB, .gcMirrorMaxPasses, .gcMirrorFinalDeltaMiB,
    .gcVMSuspend, .gcVMResume, .gcOperationOverhead, .gcXAPICall, .gcCommandStart, .gcSMSnapshot,
    .gcTapdiskRefresh, .gcHostRoundTrip, .gcMetadataIO,
    .gcMaxCopyMiB,
  ]

  /// The key inside its section (`depth` for `chain.depth`).
  var key: String { String(rawValue.split(separator: ".").last!) }

  /// The largest virtual size a VHD can have (2040 GiB), in MiB.
  static let maximumSizeMiB = Int(VHDLimits.maximumSize >> 20)

  /// Decodes and range-checks a value for this parameter.
  func decode(_ r: NodeReader) throws(ScenarioError) -> ScenarioValue {
    switch self {
    case .duration:
      return .number(
        try r.double("a number of seconds in (0, 31536000] (one year)") { $0 > 0 && $0 <= 31_536_000 })
    case .sr:
      return .sr(try r.choice(SRPlacement.Kind.self))
    case .disk:
      return .disk(try r.choice(PoolScenario.DiskPreset.self))
    case .device:
      return .device(try r.choice(PoolScenario.Device.self))
    case .chainDepth:
      return .integer(try r.int(in: 1...VHDLimits.maximumChainDepth))
    case .chainSizeMiB:
      let v = try r.int(in: 2...Self.maximumSizeMiB)
      guard v % 2 == 0 else {
        throw r.error("\(r.path): expected a multiple of 2 MiB (the VHD block size), found \(v)")
      }
      return .integer(v)
    case .chainBaseFill:
      return .number(try r.double("a fraction in 0...1") { (0...1).contains($0) })
    case .chainWritesPerSnapshot:
      return .integer(try r.int(in: 0...10_000_000))
    case .chainWritePattern:
      return .writePattern(try r.choice(ChainSpec.WritePattern.self))
    case .engineBATMap:
      return .flag(try r.bool())
    case .engineBitmapCache:
      return .integer(try r.int(atLeast: 0))
    case .srProvisioning:
      return .provisioning(try r.choice(LVMProvisioning.self))
    case .srCapacityGiB, .diskCapacityGiB:
      return .integer(try r.int(in: 1...1_048_576, "a number of GiB"))
    case .gcEnabled, .gcFirstRunAfterBoot, .gcMetadataIO:
      return .flag(try r.bool())
    case .gcQuietPeriod:
      return .number(try r.double("a number of seconds in [0, 86400]") { $0 >= 0 && $0 <= 86_400 })
    case .gcAutoScan:
      return .number(try r.double("a number of seconds in [0, 86400] (0: off)") { $0 >= 0 && $0 <= 86_400 })
    case .gcConcurrency:
      return .concurrency(try r.choice(GCSettings.Concurrency.self))
    case .gcCandidateOrder:
      return .candidateOrder(try r.choice(GCPolicy.CandidateOrder.self))
    case .gcLeafCoalesce:
      if case .scalar(let s) = r.node, let new = LeafCoalesceDesign.renamed[s.string] {
        throw r.error(
          "\(r.path): the design \"\(s.string)\" is now called \"\(new)\" "
            + "(docs/storage-manager.md#leaf-coalesce-designs)")
      }
      return .leafCoalesce(try r.choice(LeafCoalesceDesign.self))
    case .gcTracker:
      return .tracker(try r.choice(CoalesceTracker.Variant.self))
    case .gcLiveTest:
      return .liveTest(try r.choice(LiveCoalescePolicy.LiveTest.self))
    case .gcLiveTimeout:
      return .number(try r.double("a number of seconds in (0, 3600]") { $0 > 0 && $0 <= 3600 })
    case .gcLiveMaxSizeMiB:
      return .integer(try r.int(in: 0...1_048_576, "a number of MiB"))
    case .gcMirrorMaxPasses:
      return .integer(try r.int(in: 1...1000, "a number of passes"))
    case .gcMirrorFinalDeltaMiB:
      return .integer(try r.int(in: 0...1_048_576, "a number of MiB"))
    case .gcXAPICall, .gcCommandStart, .gcSMSnapshot, .gcTapdiskRefresh, .gcHostRoundTrip:
      return .number(try r.double("a number of seconds in [0, 600]") { $0 >= 0 && $0 <= 600 })
    case .poolHosts:
      return .integer(try r.int(in: 1...64, "a number of hosts"))
    case .gcVMSuspend, .gcVMResume:
      return .number(try r.double("a number of seconds in [0, 3600]") { $0 >= 0 && $0 <= 3600 })
    case .gcOperationOverhead:
      return .number(try r.double("a number of seconds in [0, 3600]") { $0 >= 0 && $0 <= 3600 })
    case .gcMaxCopyMiB:
      return .integer(try r.int(in: 1...1024, "a number of MiB"))
    case .resolution:
      return .resolution(try r.choice(Resolution.self))
    case .epoch:
      return .number(
        try r.double("a number of seconds in [1, 604800] (one week)") { $0 >= 1 && $0 <= 604_800 })
    case .vmsRate:
      return .number(try r.double("a rate in requests/s, > 0 and ≤ 10000000") { $0 > 0 && $0 <= 10_000_000 })
    }
  }
}

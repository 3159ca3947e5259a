// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
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
  case engineBATMap = "engine.batmap"
  case engineBitmapCache = "engine.bitmap_cache"

  /// Parameters a policy may override (its `chain` and `engine` sections).
  public static let policyParameters: [ScenarioParameter] = [
    .chainDepth, .chainSizeMiB, .chainBaseFill, .chainWritesPerSnapshot, .engineBATMap, .engineBitmapCache,
  ]

  /// The key inside its section (`depth` for `chain.depth`).
  var key: String { String(rawValue.split(separator: ".").last!) }

  /// The largest virtual size a VHD can have (2040 GiB), in MiB.
  static let maximumSizeMiB = Int(VHDLimits.maximumSize >> 20)

  /// Decodes and range-checks a value for this parameter.
  func decode(_ r: NodeReader) throws(ScenarioError) -> ScenarioValue {
    switch self {
    case .duration:
      return .number(try r.double("a number of seconds in (0, 1000000]") { $0 > 0 && $0 <= 1_000_000 })
    case .sr:
      return .name(try r.choice(SRPlacement.Kind.allCases.map { ($0.rawValue, $0.rawValue) }))
    case .disk:
      return .name(try r.choice(PoolScenario.DiskPreset.allCases.map { ($0.rawValue, $0.rawValue) }))
    case .device:
      return .name(try r.choice(PoolScenario.Device.allCases.map { ($0.rawValue, $0.rawValue) }))
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
    case .engineBATMap:
      return .flag(try r.bool())
    case .engineBitmapCache:
      return .integer(try r.int(atLeast: 0))
    }
  }
}

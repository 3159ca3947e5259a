// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import StorageRepository
import VHD
import Workloads

/// A scenario key with a closed set of values (`sr.kind`, `disk.preset`, `gc.leaf_coalesce`, …): one
/// table of (name as written in the file, value). The decoder turns the text into the value once,
/// with a positioned error listing every name; everything downstream holds the value, and prints
/// ``scenarioName`` where a string is written (sweep labels, `summary.json`).
public protocol ScenarioChoice: Equatable, Sendable {
  /// Every value a scenario may name, in the order errors list them.
  static var scenarioChoices: [(name: String, value: Self)] { get }
  /// The value's name in scenario files and outputs.
  var scenarioName: String { get }
}

extension ScenarioChoice {
  public var scenarioName: String {
    guard let hit = Self.scenarioChoices.first(where: { $0.value == self }) else {
      preconditionFailure("\(Self.self): a value without a scenario name")
    }
    return hit.name
  }
}

extension ScenarioChoice where Self: RawRepresentable, Self.RawValue == String, Self: CaseIterable {
  public static var scenarioChoices: [(name: String, value: Self)] { allCases.map { ($0.rawValue, $0) } }
}

extension SRPlacement.Kind: ScenarioChoice {}
extension PoolScenario.DiskPreset: ScenarioChoice {}
extension PoolScenario.Device: ScenarioChoice {}
extension ChainSpec.WritePattern: ScenarioChoice {}
extension WorkloadSpec.Pattern: ScenarioChoice {}
extension WorkloadPreset: ScenarioChoice {}
extension TraceFormat: ScenarioChoice {}
extension TraceWorkloadSpec.AddressMapping: ScenarioChoice {}
extension GCSettings.Concurrency: ScenarioChoice {}
extension LiveCoalescePolicy.LiveTest: ScenarioChoice {}

extension LVMProvisioning: ScenarioChoice {
  public static let scenarioChoices: [(name: String, value: LVMProvisioning)] = [
    ("thin", .thin), ("thick", .thick),
  ]
}

extension GCPolicy.CandidateOrder: ScenarioChoice {
  public static let scenarioChoices: [(name: String, value: GCPolicy.CandidateOrder)] = [
    ("tallest-tree-first", .tallestTreeFirst), ("discovery", .discovery), ("smallest-first", .smallestFirst),
  ]
}

extension SnapshotKind: ScenarioChoice {
  public static let scenarioChoices: [(name: String, value: SnapshotKind)] = [
    ("double", .double), ("single", .single), ("internal", .internal),
  ]
}

extension CoalesceTracker.Variant: ScenarioChoice {
  public static var scenarioChoices: [(name: String, value: Self)] { allCases.map { ($0.name, $0) } }
  public var scenarioName: String { name }
}

extension LeafCoalesceDesign: ScenarioChoice {
  /// Each design with its default parameters; the `gc` keys fill in the parameters
  /// (``ScenarioSettings/GCOptions/design``).
  public static var scenarioChoices: [(name: String, value: Self)] { all.map { ($0.name, $0) } }
  /// The design's name whatever its parameters.
  public var scenarioName: String { name }
}

extension NodeReader {
  /// One of `T`'s names (a string), as its value.
  func choice<T: ScenarioChoice>(_: T.Type) throws(ScenarioError) -> T {
    try choice(T.scenarioChoices.map { ($0.name, $0.value) })
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import StorageRepository
import VHD

/// One decoded setting, as policies and sweep points carry it: a number, a flag, or the typed value
/// of a key with a closed set of choices (decoded once, from its name). A small closed set of shapes,
/// so a sweep point can be printed, compared and used as a report label without knowing its parameter.
public enum ScenarioValue: Equatable, Sendable, CustomStringConvertible {
  case integer(Int)
  case number(Double)
  case flag(Bool)
  case sr(SRPlacement.Kind)
  case disk(PoolScenario.DiskPreset)
  case device(PoolScenario.Device)
  case writePattern(ChainSpec.WritePattern)
  case provisioning(LVMProvisioning)
  case concurrency(GCSettings.Concurrency)
  case candidateOrder(GCPolicy.CandidateOrder)
  /// A design with its default parameters (the other `gc` keys set them).
  case leafCoalesce(LeafCoalesceDesign)
  case tracker(CoalesceTracker.Variant)
  case liveTest(LiveCoalescePolicy.LiveTest)
  case resolution(Resolution)

  /// The choice's name, for the values that are choices.
  var choiceName: String? {
    switch self {
    case .integer, .number, .flag: nil
    case .sr(let v): v.scenarioName
    case .disk(let v): v.scenarioName
    case .device(let v): v.scenarioName
    case .writePattern(let v): v.scenarioName
    case .provisioning(let v): v.scenarioName
    case .concurrency(let v): v.scenarioName
    case .candidateOrder(let v): v.scenarioName
    case .leafCoalesce(let v): v.scenarioName
    case .tracker(let v): v.scenarioName
    case .liveTest(let v): v.scenarioName
    case .resolution(let v): v.scenarioName
    }
  }

  public var description: String {
    switch self {
    case .integer(let v): "\(v)"
    case .number(let v): "\(v)"
    case .flag(let v): "\(v)"
    default: choiceName!
    }
  }
}

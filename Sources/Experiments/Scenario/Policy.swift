// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository

/// A named variant of the scenario's chain and engine settings: the designs a comparison puts side by
/// side (BATmap on/off, cache sizes). Every policy runs the same sweep points and replicates, so
/// their results pair up.
public struct Policy: Equatable, Sendable {
  public var name: String
  /// Overrides in file order, each with where it was written.
  public var overrides: [Override]
  /// The policy's leaf-coalesce design (its `gc.leaf_coalesce` or the scenario's) in a managed-SR
  /// scenario, written as `leaf_coalesce` in `summary.json`; nil without a managed SR.
  public var leafCoalesce: LeafCoalesceDesign?

  public struct Override: Equatable, Sendable {
    public var parameter: ScenarioParameter
    public var value: ScenarioValue
    public var position: SourcePosition
  }

  public init(name: String, overrides: [Override] = [], leafCoalesce: LeafCoalesceDesign? = nil) {
    self.name = name
    self.overrides = overrides
    self.leafCoalesce = leafCoalesce
  }

  static let keys = ["name", "chain", "engine", "gc", "pool", "resolution", "epoch"]

  /// The implicit policy of a scenario that lists none.
  public static let defaultName = "default"

  static func decode(_ r: NodeReader) throws(ScenarioError) -> Policy {
    let map = try r.mapping(allowed: keys)
    let nameReader = try map.required("name")
    let name = try Scenario.identifier(nameReader)
    var overrides: [Override] = []
    for p in [ScenarioParameter.resolution, .epoch] {
      guard let v = map[p.rawValue] else { continue }
      overrides.append(Override(parameter: p, value: try p.decode(v), position: v.position))
    }
    for section in ["chain", "engine", "gc", "pool"] {
      guard let s = map[section] else { continue }
      let params = ScenarioParameter.policyParameters.filter { $0.rawValue.hasPrefix(section + ".") }
      let smap = try s.mapping(allowed: params.map(\.key))
      for entry in smap.entries {
        let p = params.first { $0.key == entry.key }!
        overrides.append(
          Override(parameter: p, value: try p.decode(entry.value), position: entry.value.position))
      }
    }
    return Policy(name: name, overrides: overrides)
  }
}

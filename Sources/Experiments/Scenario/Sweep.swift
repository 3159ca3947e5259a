// SPDX-License-Identifier: GPL-3.0-or-later

/// Parameters varied over a grid: every combination of their values is one sweep point (the first
/// parameter varies slowest, as nested loops written in file order would). A scenario without a sweep
/// has exactly one point, with no assignments.
public struct Sweep: Equatable, Sendable {
  public struct Axis: Equatable, Sendable {
    public var parameter: ScenarioParameter
    public var values: [ScenarioValue]
    /// Where each value was written.
    public var positions: [SourcePosition]
    /// Where the parameter's name was written.
    public var position: SourcePosition
  }

  public var axes: [Axis]

  public init(axes: [Axis] = []) { self.axes = axes }

  public var pointCount: Int { axes.reduce(1) { $0 * $1.values.count } }

  /// The assignments of point `index` (0..<pointCount), in axis order.
  public func point(_ index: Int) -> [SweepAssignment] {
    var rest = index
    var out: [SweepAssignment] = []
    for axis in axes.reversed() {
      let i = rest % axis.values.count
      rest /= axis.values.count
      out.append(
        SweepAssignment(parameter: axis.parameter, value: axis.values[i], position: axis.positions[i]))
    }
    return out.reversed()
  }

  /// Sweep points are capped so a typo (a 1000-value list times three axes) is an error, not a
  /// billion-run plan.
  static let maximumPoints = 100_000

  static func decode(_ r: NodeReader) throws(ScenarioError) -> Sweep {
    let map = try r.mapping(allowed: ScenarioParameter.allCases.map(\.rawValue))
    var axes: [Axis] = []
    var points = 1
    for entry in map.entries {
      let parameter = ScenarioParameter(rawValue: entry.key)!
      let list = try entry.value.sequence()
      guard !list.isEmpty else {
        throw entry.value.error(
          "\(entry.value.path): expected a non-empty list of values, found an empty list")
      }
      var values: [ScenarioValue] = []
      for item in list {
        let v = try parameter.decode(item)
        guard !values.contains(v) else { throw item.error("\(item.path): duplicate sweep value \(v)") }
        values.append(v)
      }
      points *= values.count
      guard points <= maximumPoints else {
        throw entry.keyReader.error("sweep: more than \(maximumPoints) sweep points")
      }
      axes.append(
        Axis(
          parameter: parameter, values: values, positions: list.map(\.position),
          position: entry.keyReader.position))
    }
    return Sweep(axes: axes)
  }
}

/// One parameter's value at one sweep point.
public struct SweepAssignment: Equatable, Sendable, CustomStringConvertible {
  public var parameter: ScenarioParameter
  public var value: ScenarioValue
  public var position: SourcePosition

  public var description: String { "\(parameter.rawValue)=\(value)" }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool

/// What epoch resolution (docs/simulation.md#epoch-resolution) cannot simulate, refused where the
/// scenario asks for it.
extension Scenario {
  /// Every VM group must be a built-in open-loop workload (a closed loop's arrivals follow completion
  /// times, which are not simulated; presets and traces are request sequences), and a consistency
  /// check needs every write's data, so it runs at request resolution.
  func checkEpoch(_ s: ScenarioSettings, at: [ScenarioParameter: SourcePosition]) throws(ScenarioError) {
    let setAt = at[.resolution] ?? SourcePosition(line: 1, column: 1)
    func error(_ p: SourcePosition, _ message: String) -> ScenarioError {
      ScenarioError(file: file, line: p.line, column: p.column, message: message)
    }
    if consistencyCheck {
      throw error(setAt, "resolution: epoch cannot check consistency (it writes no data); use request")
    }
    for group in vms {
      switch group.workload {
      case .builtIn(let spec) where spec.with(rate: s.rate).isClosedLoop:
        throw error(
          group.position,
          "resolution: epoch (set at \(setAt)) needs an open-loop workload (rate); this VM group has an "
            + "iodepth, whose arrivals follow completion times that epoch resolution does not simulate")
      case .builtIn: break
      case .preset, .trace:
        throw error(
          group.position,
          "resolution: epoch (set at \(setAt)) needs a built-in workload; presets and traces are "
            + "request sequences and run at request resolution")
      }
    }
  }
}

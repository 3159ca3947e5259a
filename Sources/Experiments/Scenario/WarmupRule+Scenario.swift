// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation

extension WarmupRule {
  /// Every scenario run cuts its warm-up; unless the file says otherwise, by MSER-5.
  static let scenarioDefault = WarmupRule.mser5

  /// `warmup: mser5`, `warmup: none` or `warmup: SECONDS` (a fixed cut, shorter than `duration`).
  static func decode(_ r: NodeReader, duration: Double) throws(ScenarioError) -> WarmupRule {
    if let text = try? r.string(), text == "mser5" || text == "none" {
      return text == "mser5" ? .mser5 : .none
    }
    let expected = "mser5, none, or a number of seconds shorter than the duration (\(duration) s)"
    let seconds = try r.double(expected) { $0 > 0 && $0 < duration }
    return .fixed(.seconds(seconds))
  }
}

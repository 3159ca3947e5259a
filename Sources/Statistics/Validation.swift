// SPDX-License-Identifier: GPL-3.0-or-later

/// Input checks shared by every entry point, so that bad input throws a `StatisticsError` before it
/// reaches GSL (which would abort or return NaN).
enum Validate {
  /// Checks that `sample` has at least `minimum` observations and that all of them are finite.
  static func sample(_ sample: [Double], name: String, minimum: Int) throws(StatisticsError) {
    if sample.isEmpty { throw .emptySample(name: name) }
    if sample.count < minimum {
      throw .insufficientSample(name: name, count: sample.count, required: minimum)
    }
    if let index = sample.firstIndex(where: { !$0.isFinite }) {
      throw .nonFiniteValue(name: name, index: index)
    }
  }

  /// Checks a confidence level is strictly between 0 and 1 (NaN fails too).
  static func level(_ level: Double) throws(StatisticsError) {
    guard level > 0, level < 1 else { throw .invalidConfidenceLevel(level) }
  }

  /// Checks a quantile probability is in [0, 1] (NaN fails too).
  static func probability(_ p: Double) throws(StatisticsError) {
    guard p >= 0, p <= 1 else { throw .invalidProbability(p) }
  }
}

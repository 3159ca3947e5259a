// SPDX-License-Identifier: GPL-3.0-or-later

import CGSL

/// Running count, mean, variance, extremes and one quantile of a stream, in O(1) memory (GSL `gsl_rstat`).
///
/// For outputs too long to keep — every request latency of a long run — this accumulates as values
/// arrive. Mean and variance are exact (Welford's update in GSL). The quantile is the P² estimate of Jain
/// and Chlamtac (1985, `gsl_rstat_quantile`): five markers, no stored data, so it is an *estimate* whose
/// error depends on the distribution (on 10 000 Exp(2) draws GSL's median estimate was 1.454 against an
/// exact 1.400). Below five observations GSL returns the exact quantile of what it has. Keep the
/// sample and use `Summary` when exact quantiles matter.
///
/// A final class because it owns GSL allocations, freed in `deinit`. Deliberately not `Sendable`: `add`
/// mutates C state with no lock, and the P² markers are order-dependent, so sharing one across tasks
/// would race and give schedule-dependent answers. Use one per task or replication and combine the
/// results.
public final class StreamingStatistics {
  private let workspace: UnsafeMutablePointer<gsl_rstat_workspace>
  private let quantileWorkspace: UnsafeMutablePointer<gsl_rstat_quantile_workspace>
  /// The probability whose quantile `quantile` estimates.
  public let probability: Double

  /// An empty accumulator that also tracks the quantile at `probability` (the median by default).
  /// - Throws: `.invalidProbability` unless 0 < probability < 1 (P² needs interior markers), or `.gsl`
  ///   when GSL cannot allocate its workspaces.
  public init(quantile probability: Double = 0.5) throws(StatisticsError) {
    prepareGSL()
    guard probability > 0, probability < 1 else { throw .invalidProbability(probability) }
    guard let workspace = gsl_rstat_alloc() else { throw .gslFailure(Int32(GSL_ENOMEM)) }
    guard let quantileWorkspace = gsl_rstat_quantile_alloc(probability) else {
      gsl_rstat_free(workspace)
      throw .gslFailure(Int32(GSL_ENOMEM))
    }
    self.workspace = workspace
    self.quantileWorkspace = quantileWorkspace
    self.probability = probability
  }

  deinit {
    gsl_rstat_quantile_free(quantileWorkspace)
    gsl_rstat_free(workspace)
  }

  /// Adds one observation.
  /// - Throws: `.nonFiniteValue` for NaN or ±∞, which would poison every running moment for good.
  public func add(_ value: Double) throws(StatisticsError) {
    guard value.isFinite else { throw .nonFiniteValue(name: "value", index: count) }
    let status = gsl_rstat_add(value, workspace)
    guard Int(status) == GSL_SUCCESS else { throw .gslFailure(status) }
    let quantileStatus = gsl_rstat_quantile_add(value, quantileWorkspace)
    guard Int(quantileStatus) == GSL_SUCCESS else { throw .gslFailure(quantileStatus) }
  }

  /// Adds every value in order.
  /// - Throws: `.nonFiniteValue` at the first NaN or ±∞; values before it have been added.
  public func add(contentsOf values: [Double]) throws(StatisticsError) {
    for value in values { try add(value) }
  }

  /// Forgets every observation.
  public func reset() {
    _ = gsl_rstat_reset(workspace)
    _ = gsl_rstat_quantile_reset(quantileWorkspace)
  }

  /// Number of observations added.
  public var count: Int { gsl_rstat_n(workspace) }

  /// Mean. Throws `.emptySample` before the first observation (GSL would report 0).
  public var mean: Double {
    get throws(StatisticsError) {
      try require(1)
      return gsl_rstat_mean(workspace)
    }
  }

  /// Variance with the n − 1 denominator. Throws below two observations (GSL would report 0).
  public var variance: Double {
    get throws(StatisticsError) {
      try require(2)
      return gsl_rstat_variance(workspace)
    }
  }

  /// Standard deviation with the n − 1 denominator. Throws below two observations.
  public var standardDeviation: Double {
    get throws(StatisticsError) {
      try require(2)
      return gsl_rstat_sd(workspace)
    }
  }

  /// Smallest observation. Throws when empty.
  public var minimum: Double {
    get throws(StatisticsError) {
      try require(1)
      return gsl_rstat_min(workspace)
    }
  }

  /// Largest observation. Throws when empty.
  public var maximum: Double {
    get throws(StatisticsError) {
      try require(1)
      return gsl_rstat_max(workspace)
    }
  }

  /// P² estimate of the `probability` quantile. Throws when empty.
  public var quantile: Double {
    get throws(StatisticsError) {
      try require(1)
      return gsl_rstat_quantile_get(quantileWorkspace)
    }
  }

  private func require(_ minimum: Int) throws(StatisticsError) {
    let n = count
    if n == 0 { throw .emptySample(name: "stream") }
    if n < minimum { throw .insufficientSample(name: "stream", count: n, required: minimum) }
  }
}

@available(*, unavailable, message: "mutates unsynchronised GSL state; use one per task")
extension StreamingStatistics: Sendable {}

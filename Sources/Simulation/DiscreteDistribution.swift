// SPDX-License-Identifier: GPL-3.0-or-later

import CGSL

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why a distribution could not be built.
public enum DistributionError: Error, Equatable, Sendable {
  case noWeights
  /// A weight that is negative, NaN or infinite.
  case invalidWeight(index: Int, value: Double)
  /// All weights are zero.
  case zeroTotalWeight
  case invalidParameter(name: String, value: Double)
  /// GSL refused the table (out of memory).
  case gslFailure
}

/// Draws index k with probability weights[k] / Σ weights in O(1), by Walker's alias method
/// (`gsl_ran_discrete_preproc` builds the table in O(n); `gsl_ran_discrete` draws).
///
/// `@unchecked Sendable`: the GSL table is written only by the initialiser and only read afterwards
/// (`gsl_ran_discrete` takes it `const`), so one instance may serve many replications on many threads;
/// each thread brings its own `RandomStream`.
public final class DiscreteDistribution: @unchecked Sendable {
  @usableFromInline let table: UnsafeMutablePointer<gsl_ran_discrete_t>
  /// Normalised probabilities, index by index.
  public let probabilities: [Double]

  public init(weights: [Double]) throws(DistributionError) {
    _ = gslFullSeeding  // GSL's aborting error handler off
    guard !weights.isEmpty else { throw .noWeights }
    var total = 0.0
    for (index, w) in weights.enumerated() {
      guard w.isFinite, w >= 0 else { throw .invalidWeight(index: index, value: w) }
      total += w
    }
    guard total > 0 else { throw .zeroTotalWeight }
    guard let table = gsl_ran_discrete_preproc(weights.count, weights) else { throw .gslFailure }
    self.table = table
    probabilities = weights.map { $0 / total }
  }

  /// Zipf over ranks 1…n: P(rank k) ∝ k^−s. GSL has no Zipf, so this is the alias table over those
  /// weights. `sample` returns rank − 1 (0 is the most popular item).
  public static func zipf(n: Int, s: Double) throws(DistributionError) -> DiscreteDistribution {
    guard n > 0 else { throw .invalidParameter(name: "n", value: Double(n)) }
    guard s.isFinite, s >= 0 else { throw .invalidParameter(name: "s", value: s) }
    var weights = [Double](repeating: 0, count: n)
    for k in 0..<n {
      weights[k] = pow(Double(k + 1), -s)
    }
    return try DiscreteDistribution(weights: weights)
  }

  deinit {
    gsl_ran_discrete_free(table)
  }

  /// Number of outcomes.
  @inlinable public var count: Int { probabilities.count }

  /// An index in 0..<count.
  @inlinable
  public func sample(_ stream: RandomStream) -> Int {
    Int(gsl_ran_discrete(stream.rng, table))
  }

  /// P(index k), 0 outside the range.
  public func probability(of k: Int) -> Double {
    probabilities.indices.contains(k) ? probabilities[k] : 0
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// How much of a run's start is a warm-up that no metric counts: the first requests see empty caches
/// and queues still filling, and averaging them in biases every figure of a short run
/// (docs/simulation.md#warm-up).
public enum WarmupRule: Sendable, Equatable, CustomStringConvertible {
  /// Nothing is cut.
  case none
  /// MSER-5 on the response-time series (White 1997; Franklin & White 2008): batch means of 5
  /// completions (coarsened to at most ``WarmupDetector/maxBatches`` batches), truncated where the
  /// standard error of the remaining mean is smallest, at most half the series.
  case mser5
  /// Every request that completes before this simulated time.
  case fixed(SimTime)

  public var description: String {
    switch self {
    case .none: "none"
    case .mser5: "mser5"
    case .fixed(let t): "\(t.seconds) s"
    }
  }
}

/// What a run's warm-up cut: the completed guest requests left out of every metric and the simulated
/// time they took (IOPS divides by the run's duration less this).
public struct WarmupCut: Sendable, Equatable {
  public var requests = 0
  public var time = SimTime.zero

  public init(requests: Int = 0, time: SimTime = .zero) {
    self.requests = requests
    self.time = time
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// One side's run of a validation case, real (`RealChainRun`) or simulated (`SimulatedChainRun`), in
/// the one form the comparison takes, so both sides' figures are computed the same way.
struct ChainRunResult {
  /// Every request in completion order: read or write, physical I/Os, latency.
  var requests: [RequestClassComparison.Request]
  /// From the first request's start to the last one's completion (wall clock or simulated).
  var elapsedSeconds: Double
  var physicalIOs: Int
  /// The processor time of the thread serving the requests (tapdisk's): measured on the real side
  /// (`CLOCK_THREAD_CPUTIME_ID` around the loop), charged by the model on the simulated one.
  var threadBusySeconds: Double = 0

  var iops: Double { Double(requests.count) / Swift.max(1e-9, elapsedSeconds) }
}

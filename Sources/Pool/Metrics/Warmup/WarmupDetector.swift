// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// Finds and cuts a run's warm-up (docs/simulation.md#warm-up) in bounded memory.
///
/// MSER needs the response-time series, but a run can complete hundreds of millions of requests, so
/// the series is kept as batch sums: batches start at 5 completions (MSER-5) and, when there would be
/// more than ``maxBatches``, neighbours merge and the batch size doubles. At every batch boundary a
/// ``MetricsCheckpoint`` of the run's totals is kept (merged alike), and each batch keeps its requests'
/// latency extremes; a cut at d batches subtracts checkpoint d from the final totals, so every metric
/// after the cut is exact. Memory is O(``maxBatches``), whatever the run's length; the work per request
/// is a few additions, and a checkpoint is copied once per batch.
struct WarmupDetector {
  /// The most batches kept; between ``maxBatches``/2 and this many once the run is long.
  static let maxBatches = 128
  /// MSER-5's batch size.
  static let firstBatchSize = 5

  var rule: WarmupRule = .none
  var batchSize = firstBatchSize
  /// The batch being filled: completions, latency sum (ns), extremes.
  var current = 0
  var currentSum: Int64 = 0
  var currentExtremes = LatencyExtremes()
  /// Complete batches: latency sums, extremes, and the totals after each.
  var sums: [Int64] = []
  var extremes: [LatencyExtremes] = []
  var checkpoints: [MetricsCheckpoint] = []
  /// Fixed rule: the totals when the warm-up time passed (nil until then).
  var fixedCut: MetricsCheckpoint?
  var afterFixedCut = LatencyExtremes()

  /// Called before a completion at `now` is recorded: the fixed rule takes its checkpoint at the first
  /// completion at or after its time.
  mutating func willRecord(at now: SimTime, result: RunResult) {
    if case .fixed(let t) = rule, fixedCut == nil, now >= t {
      fixedCut = MetricsCheckpoint(result, at: t)
    }
  }

  /// Called after a completion was recorded into `result`.
  @inline(__always)
  mutating func recorded(latency: SimTime, isWrite: Bool, stall: SimTime?, at now: SimTime, result: RunResult)
  {
    switch rule {
    case .none: return
    case .fixed:
      if fixedCut != nil { afterFixedCut.record(latency, isWrite: isWrite, stall: stall) }
    case .mser5:
      current += 1
      currentSum &+= latency.nanoseconds
      currentExtremes.record(latency, isWrite: isWrite, stall: stall)
      if current == batchSize { closeBatch(at: now, result: result) }
    }
  }

  private mutating func closeBatch(at now: SimTime, result: RunResult) {
    sums.append(currentSum)
    extremes.append(currentExtremes)
    checkpoints.append(MetricsCheckpoint(result, at: now))
    current = 0
    currentSum = 0
    currentExtremes = LatencyExtremes()
    if sums.count == Self.maxBatches { halve() }
  }

  /// Merges neighbouring batches: the batch size doubles, the boundaries between pairs go.
  private mutating func halve() {
    let pairs = sums.count / 2
    for i in 0..<pairs {
      sums[i] = sums[2 * i] &+ sums[2 * i + 1]
      var e = extremes[2 * i]
      e.merge(extremes[2 * i + 1])
      extremes[i] = e
      checkpoints[i] = checkpoints[2 * i + 1]
    }
    sums.removeLast(sums.count - pairs)
    extremes.removeLast(extremes.count - pairs)
    checkpoints.removeLast(checkpoints.count - pairs)
    batchSize *= 2
  }

  /// The batch means MSER sees (complete batches only).
  var batchMeans: [Double] { sums.map { Double($0) / Double(batchSize) } }

  /// `result` with the warm-up cut out.
  func apply(to result: RunResult) -> RunResult {
    switch rule {
    case .none: return result
    case .fixed:
      guard let cut = fixedCut else {
        // The run ended before the warm-up did: everything is warm-up.
        return result.excluding(MetricsCheckpoint(result, at: result.duration), rest: LatencyExtremes())
      }
      return result.excluding(cut, rest: afterFixedCut)
    case .mser5:
      let d = MSER.truncation(batchMeans)
      guard d > 0 else { return result }
      var rest = currentExtremes
      for e in extremes[d...] { rest.merge(e) }
      return result.excluding(checkpoints[d - 1], rest: rest)
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing
import VHD

/// The warm-up cut (docs/simulation.md#warm-up): MSER's choice on known series, and exact exclusion —
/// every figure of a cut run equals what the requests after the cut alone record, checked against the
/// run's own per-request trace.
@Suite struct WarmupTests {
  @Test func mserOnKnownSeries() {
    #expect(MSER.truncation([10, 10, 10, 10, 1, 1, 1, 1, 1, 1, 1, 1]) == 4)
    #expect(MSER.truncation([3, 3, 3, 3, 3, 3]) == 0)
    #expect(MSER.truncation([1, 2, 3]) == 0)  // fewer than 4 batches: not cut
    // The minimum lies past half the series (d = 7 of 12): the rule may not cut there, and no
    // truncation in the first half helps, so nothing is cut.
    #expect(MSER.truncation([10, 10, 10, 10, 10, 10, 10, 1, 1, 1, 1, 1]) == 0)
  }

  /// A chain of 8 levels whose leaf starts nearly empty (quickstart's depth-8 point on a 256 MiB disk):
  /// random writes allocate the leaf's blocks, slowly at first, until every block exists — a transient.
  /// Run with `rule` and the per-request trace on.
  func run(_ rule: WarmupRule, seconds: Double = 0.3) throws -> RunResult {
    var scenario = PoolScenario(
      chain: ChainSpec(depth: 8, virtualSize: 256 << 20, baseFill: 1, writesPerSnapshot: 64, seed: 11),
      workload: WorkloadSpec(readFraction: 0.7, arrivals: .closedLoop(ioDepth: 8)),
      engine: EngineOptions(bitmapCacheCapacity: 32, useBATMap: true), duration: .seconds(seconds),
      recordTrace: true)
    scenario.warmup = rule
    return try scenario.run()
  }

  /// What the requests after the first `cut` of the trace record, computed from the trace alone.
  func expectMatchesSuffix(_ r: RunResult, cut: Int) {
    let rest = r.trace[cut...]
    var all = LatencyHistogram()
    var reads = LatencyHistogram()
    var writes = LatencyHistogram()
    for t in rest {
      all.record(t.completed - t.issued)
      if t.isWrite { writes.record(t.completed - t.issued) } else { reads.record(t.completed - t.issued) }
    }
    #expect(r.latency.all == all)
    #expect(r.latency.reads == reads)
    #expect(r.latency.writes == writes)
    #expect(r.counts.reads == rest.filter { !$0.isWrite }.count)
    #expect(r.counts.writes == rest.filter(\.isWrite).count)
    #expect(r.counts.bytesWritten == UInt64(rest.filter(\.isWrite).reduce(0) { $0 + $1.bytes }))
    #expect(r.chain.levelsProbedSum == rest.reduce(0) { $0 + $1.lookups.levelsProbed })
    #expect(r.chain.chainDepthSum == rest.reduce(0) { $0 + $1.chainDepth })
    #expect(r.chain.levels.reduce(0) { $0 + $1.batProbes } == rest.reduce(0) { $0 + $1.lookups.batProbes })
    #expect(
      r.chain.levels.reduce(0) { $0 + $1.bitmapReads } == rest.reduce(0) { $0 + $1.lookups.bitmapReads })
    for (k, kind) in IOKind.allCases.enumerated() {
      #expect(r.io.count(kind) == rest.reduce(0) { $0 + $1.iosByKind[k] }, "\(kind)")
    }
  }

  @Test func mserCutIsExactForEveryMetric() throws {
    let full = try run(.none)
    let cut = try run(.mser5)
    // Same events (metrics do not steer the simulation): the same requests in the same order.
    #expect(cut.trace == full.trace)
    let d = cut.warmup.requests
    #expect(d > 0, "the cold chain should show a transient")
    #expect(d <= full.requests / 2)
    #expect(cut.requests == full.requests - d)
    #expect(cut.warmup.time == full.trace[d - 1].completed)
    expectMatchesSuffix(cut, cut: d)
    #expect(cut.iops == Double(cut.requests) / (cut.duration - cut.warmup.time).seconds)
    #expect(full.warmup == WarmupCut())
    // Deterministic.
    #expect(try run(.mser5).digest == cut.digest)
  }

  @Test func fixedCutIsExact() throws {
    let at = SimTime.milliseconds(100)
    let r = try run(.fixed(at))
    let d = r.trace.firstIndex { $0.completed >= at } ?? r.trace.count
    #expect(r.warmup == WarmupCut(requests: d, time: at))
    expectMatchesSuffix(r, cut: d)
    // A run that ends inside its warm-up measures nothing.
    let short = try run(.fixed(.seconds(1)), seconds: 0.05)
    #expect(short.requests == 0)
    #expect(short.iops == 0)
  }

  /// Memory stays bounded: a long run keeps at most 128 batches (seen through its cut, which lies on a
  /// batch boundary of the doubled size).
  @Test func longRunsCutOnCoarseBatchBoundaries() throws {
    let r = try run(.mser5, seconds: 1)
    let total = r.requests + r.warmup.requests
    var size = 5
    while total / size >= 128 { size *= 2 }
    #expect(r.warmup.requests % size == 0, "cut \(r.warmup.requests) with batches of \(size)")
  }
}

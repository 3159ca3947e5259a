// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import Benchmarking

/// The gate's logic: identical runs pass, a changed counter fails naming it, noisy but equal
/// timings pass, a real 2× slowdown is called.
@Suite struct RegressionGateTests {
  func run(counters: [String: Double], timings: [String: [Double]]) -> RegressionSuite.Run {
    var r = RegressionSuite.Run()
    r.counters = counters
    r.timings = timings
    return r
  }

  /// Deterministic noise around `mean` with relative spread `spread`.
  func samples(_ mean: Double, spread: Double, n: Int = 10, seed: UInt64) -> [Double] {
    var g = BenchRNG(seed: seed)
    return (0..<n).map { _ in mean * (1 + spread * (Double(g.next() % 2001) / 1000 - 1)) }
  }

  @Test func identicalRunsPass() {
    let r = run(
      counters: ["reads.depth16.bat_probes_per_read": 15.91, "writes.blocks_allocated": 97],
      timings: ["t": [1, 1.01, 0.99]])
    let report = RegressionGate().compare(r, with: Baseline(run: r))
    #expect(!report.failed && !report.warned)
    #expect(report.unchangedCounters == 2)
    #expect(report.rows.map(\.verdict) == [.noise])
  }

  @Test func changedCounterFailsWithItsName() {
    let base = run(counters: ["reads.depth16.bitmap_reads_per_read": 0.25, "x": 1], timings: [:])
    let now = run(counters: ["reads.depth16.bitmap_reads_per_read": 1.74, "x": 1], timings: [:])
    let report = RegressionGate().compare(now, with: Baseline(run: base))
    #expect(report.failed)
    #expect(report.failures == ["reads.depth16.bitmap_reads_per_read 0.25 → 1.74"])
    #expect(report.rows.first?.change == "+596.00%")
    #expect(
      report.markdown.contains("| reads.depth16.bitmap_reads_per_read | 0.25 | 1.74 | +596.00% | changed |"))
  }

  @Test func toleranceDeclaredInTheBaselineIsHonoured() {
    let base = run(counters: ["pool.latency_p99_us": 100], timings: [:])
    let now = run(counters: ["pool.latency_p99_us": 100.5], timings: [:])
    #expect(
      !RegressionGate().compare(now, with: Baseline(run: base, tolerances: ["pool.latency_p99_us": 0.01]))
        .failed)
    #expect(RegressionGate().compare(now, with: Baseline(run: base)).failed)
  }

  @Test func missingOrNewCounterFails() {
    let base = run(counters: ["a": 1], timings: [:])
    let now = run(counters: ["b": 1], timings: [:])
    let report = RegressionGate().compare(now, with: Baseline(run: base))
    #expect(report.rows.count == 2 && report.failed)
  }

  @Test func noisyButEqualTimingsPass() {
    let base = run(counters: [:], timings: ["t": samples(1.0, spread: 0.15, seed: 1)])
    let now = run(counters: [:], timings: ["t": samples(1.0, spread: 0.15, seed: 2)])
    let report = RegressionGate().compare(now, with: Baseline(run: base))
    #expect(report.rows.map(\.verdict) == [.noise])
    #expect(!report.failed && !report.warned)
  }

  @Test func twiceAsSlowIsCalledAndFails() {
    let base = run(counters: [:], timings: ["t": samples(1.0, spread: 0.05, seed: 1)])
    let now = run(counters: [:], timings: ["t": samples(2.3, spread: 0.05, seed: 2)])
    let report = RegressionGate().compare(now, with: Baseline(run: base))
    #expect(report.rows.map(\.verdict) == [.failed])
    #expect(report.failed)
  }

  @Test func moderateSlowdownWarnsWithoutFailing() {
    let base = run(counters: [:], timings: ["t": samples(1.0, spread: 0.03, seed: 1)])
    let now = run(counters: [:], timings: ["t": samples(1.3, spread: 0.03, seed: 2)])
    let report = RegressionGate().compare(now, with: Baseline(run: base))
    #expect(report.rows.map(\.verdict) == [.slower])
    #expect(report.warned && !report.failed)
  }

  @Test func baselineRoundTripsThroughJSON() throws {
    let r = run(counters: ["a": 0.1 + 0.2, "b": 15.91], timings: ["t": [1e-9, 3.5]])
    let path = "/tmp/vhdsim-baseline-test-\(UInt64.random(in: 0...UInt64.max)).json"
    try Baseline(run: r, tolerances: ["b": 0.01], note: "test").save(path)
    let loaded = try Baseline.load(path)
    #expect(loaded.run == r)
    #expect(loaded.tolerances == ["b": 0.01])
    #expect(!RegressionGate().compare(r, with: loaded).failed)
  }
}

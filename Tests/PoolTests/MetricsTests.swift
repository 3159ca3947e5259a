// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing

@Suite struct MetricsTests {
  @Test func histogramCountsExactlyAndPercentilesWithinABucket() {
    var h = LatencyHistogram()
    for us in 1...10_000 { h.record(.microseconds(us)) }
    #expect(h.count == 10_000)
    #expect(h.mean == .nanoseconds(5_000_500))
    #expect(h.min == .microseconds(1) && h.max == .microseconds(10_000))
    for (q, exact) in [(0.5, 5_000.0), (0.9, 9_000.0), (0.99, 9_900.0), (0.999, 9_990.0)] {
      let got = h.percentile(q).microseconds
      #expect(abs(got - exact) / exact < 1.0 / 32, "q \(q): \(got) vs \(exact)")
    }
    var twice = h
    twice.merge(h)
    #expect(twice.count == 20_000 && twice.p50 == h.p50)
  }

  /// Two samples whose medians fall in the same 3 % bucket but whose counts differ: the percentiles
  /// differ too (a bucket's midpoint gave both the same value, so replicates showed a zero-width CI).
  @Test func percentilesMoveWithinTheirBucket() {
    func histogram(below: Int, above: Int) -> LatencyHistogram {
      var h = LatencyHistogram()
      for _ in 0..<below { h.record(.nanoseconds(99_000)) }  // bucket [98 304, 100 352)
      for _ in 0..<above { h.record(.nanoseconds(120_000)) }
      return h
    }
    let a = histogram(below: 100, above: 100)
    let b = histogram(below: 110, above: 90)
    // Median rank 100: the top of a's bucket; 100/110 of the way through b's.
    #expect(a.p50 == .nanoseconds(100_352))
    #expect(b.p50 == .nanoseconds(98_304 + 2_048 * 100 / 110))
    #expect(a.p50 != b.p50)
  }

  @Test func traceHasOneLinePerRequestAndMatchingColumns() throws {
    let (pool, vdi) = try makePool(depth: 2)
    pool.recordTrace = true
    try pool.addVM(vdi: vdi, workload: WorkloadSpec(readFraction: 0.5, arrivals: .closedLoop(ioDepth: 2)))
    let r = try pool.run(for: .milliseconds(5))
    let lines = r.traceCSV.split(separator: "\n")
    #expect(lines.count == r.requests + 1)
    let columns = lines[0].split(separator: ",").count
    #expect(lines.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == columns })
    #expect(r.trace.allSatisfy { $0.completed - $0.issued == $0.queueTime + $0.serviceTime })
  }
}

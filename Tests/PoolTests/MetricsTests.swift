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

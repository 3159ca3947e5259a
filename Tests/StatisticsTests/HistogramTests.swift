// SPDX-License-Identifier: GPL-3.0-or-later

import Statistics
import Testing

@Suite struct HistogramTests {
  @Test func uniformBinsWithUnderAndOverflow() throws {
    var h = try Histogram(bins: 5, lowerBound: 0, upperBound: 10)
    #expect(h.binCount == 5)
    #expect(h.edges == [0, 2, 4, 6, 8, 10])
    // Bins are [lo, hi): 0 and 1.99 → bin 0; 2 → bin 1; 5 → bin 2; 9.999 → bin 4.
    // Underflow: −1, −∞. Overflow: 10 (upper edge is open), 11, +∞.
    try h.add(contentsOf: [-1, 0, 1.99, 2, 5, 9.999, 10, 11, .infinity, -.infinity])
    #expect(h.counts == [2, 1, 1, 0, 1])
    #expect(h.underflow == 2)
    #expect(h.overflow == 3)
    #expect(h.inRangeTotal == 5)
    #expect(h.total == 10)
    #expect(h.count(inBin: 0) == 2)
    #expect(h.count(inBin: 5) == nil)
    #expect(h.range(ofBin: 1) == 2..<4)
    #expect(h.bin(for: 7.5) == 3)
    #expect(h.bin(for: 10) == nil)
  }

  @Test func explicitEdgesAndWeights() throws {
    var h = try Histogram(edges: [0, 1, 10, 100])
    try h.add(0.5)
    try h.add(1, weight: 2)
    try h.add(99.9)
    try h.add(100, weight: 0.5)
    try h.add(-0.001, weight: 3)
    #expect(h.counts == [1, 2, 1])
    #expect(h.overflow == 0.5)
    #expect(h.underflow == 3)
    #expect(h.total == 7.5)
    #expect(h.range(ofBin: 2) == 10..<100)
  }

  @Test func copiesAreIndependent() throws {
    var a = try Histogram(bins: 2, lowerBound: 0, upperBound: 2)
    try a.add(0.5)
    var b = a
    try b.add(1.5)
    #expect(a.counts == [1, 0])
    #expect(b.counts == [1, 1])
    #expect(a != b)
  }

  @Test func badInputThrows() throws {
    #expect(throws: StatisticsError.self) { try Histogram(bins: 0, lowerBound: 0, upperBound: 1) }
    #expect(throws: StatisticsError.self) { try Histogram(bins: 3, lowerBound: 1, upperBound: 1) }
    #expect(throws: StatisticsError.self) { try Histogram(bins: 3, lowerBound: 0, upperBound: .nan) }
    #expect(throws: StatisticsError.self) { try Histogram(edges: [0]) }
    #expect(throws: StatisticsError.self) { try Histogram(edges: [0, 2, 1]) }
    var h = try Histogram(bins: 1, lowerBound: 0, upperBound: 1)
    #expect(throws: StatisticsError.nonFiniteValue(name: "values", index: 1)) {
      try h.add(contentsOf: [0.5, .nan])
    }
    #expect(throws: StatisticsError.self) { try h.add(0.5, weight: .infinity) }
    #expect(h.total == 1)
  }
}

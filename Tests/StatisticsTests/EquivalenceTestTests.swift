// SPDX-License-Identifier: GPL-3.0-or-later
import Statistics
import Testing

@Suite struct EquivalenceTestTests {
  /// The interval is Welch's (checked against published values in WelchTTestTests); what is new here
  /// is the verdict, on both sides of the interval's upper end.
  @Test func insideTheMarginIsEquivalent() throws {
    let a = [10.1, 10.3, 10.2, 10.25, 10.15]
    let b = [10.0, 10.05, 9.95, 10.02, 9.98]
    let welch = try welchTTest(a, b)
    let r = try equivalenceTest(a, b, margin: 0.5)
    #expect(r.interval == welch.meanDifference)
    #expect(abs(r.difference - 0.2) < 1e-12)
    #expect(r.equivalent)
    // The same samples are not equivalent within a margin the interval's upper end exceeds.
    let tight = try equivalenceTest(a, b, margin: welch.meanDifference.upper - 1e-9)
    #expect(!tight.equivalent)
  }

  @Test func noisySamplesWithEqualMeansAreNotShownEquivalent() throws {
    // Equal means, but the interval is far wider than the margin: "no difference" is not agreement.
    let a = [0.0, 20.0, 10.0]
    let b = [10.0, 0.0, 20.0]
    let r = try equivalenceTest(a, b, margin: 1)
    #expect(r.difference == 0)
    #expect(!r.equivalent)
    #expect(r.interval.lower < -1 && r.interval.upper > 1)
  }

  @Test func deterministicSamplesCompareTheirExactDifference() throws {
    let r = try equivalenceTest([4, 4, 4], [3, 3, 3], margin: 1)
    #expect(r.interval.lower == 1 && r.interval.upper == 1)
    #expect(r.equivalent)
    #expect(try !equivalenceTest([4, 4, 4], [3, 3, 3], margin: 0.999).equivalent)
  }

  @Test func badArgumentsAreTypedErrors() {
    #expect(
      throws: StatisticsError.invalidArgument("equivalence margin -1.0 must be finite and not negative")
    ) {
      try equivalenceTest([1, 2], [1, 2], margin: -1)
    }
    #expect(throws: StatisticsError.insufficientSample(name: "a", count: 1, required: 2)) {
      try equivalenceTest([1], [1, 2], margin: 1)
    }
  }
}

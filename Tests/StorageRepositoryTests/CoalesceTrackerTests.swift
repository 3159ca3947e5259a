// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import StorageRepository

/// Feeds `pairs` (size before, size after) until the tracker gives up; returns the 1-based
/// iteration and reason, or nil if it never did.
private func feed(_ variant: CoalesceTracker.Variant, _ pairs: [(UInt64, UInt64)]) -> (
  iteration: Int, reason: CoalesceTracker.GiveUpReason
)? {
  var tracker = CoalesceTracker(variant: variant)
  for (i, (before, after)) in pairs.enumerated() {
    if let reason = tracker.abort(previousSize: before, currentSize: after) { return (i + 1, reason) }
  }
  return nil
}

/// Feeds consecutive (before, after) pairs of `sizes` — sizes[0]→sizes[1], sizes[1]→sizes[2], … —
/// until the tracker gives up; returns the 1-based iteration and reason, or nil if it never did.
private func run(_ variant: CoalesceTracker.Variant, _ sizes: [UInt64], maxIterations: Int? = nil) -> (
  iteration: Int, reason: CoalesceTracker.GiveUpReason
)? {
  var tracker = CoalesceTracker(variant: variant, maxIterations: maxIterations)
  for i in 1..<sizes.count {
    if let reason = tracker.abort(previousSize: sizes[i - 1], currentSize: sizes[i]) { return (i, reason) }
  }
  return nil
}

/// `count + 1` sizes starting at `start`, each `step` below the previous one.
private func shrinking(from start: UInt64, by step: UInt64, iterations count: Int) -> [UInt64] {
  (0...count).map { start - UInt64($0) * step }
}

/// The outcome per variant, in `Variant.allCases` order, as (iteration, reason) or nil.
private func outcomes(_ pairs: [(UInt64, UInt64)]) -> [String] {
  CoalesceTracker.Variant.allCases.map { v in feed(v, pairs).map { "\($0.iteration) \($0.reason)" } ?? "never"
  }
}

/// The give-up summary a tracker of `variant` prints after `pairs` (which must give up).
private func summary(_ variant: CoalesceTracker.Variant, _ pairs: [(UInt64, UInt64)]) -> [String] {
  var tracker = CoalesceTracker(variant: variant)
  for (before, after) in pairs {
    if let reason = tracker.abort(previousSize: before, currentSize: after) {
      return tracker.summaryLines(reason: reason)
    }
  }
  return []
}

/// The history lines of `pairs`.
private func historyLines(_ pairs: [(UInt64, UInt64)]) -> [String] {
  pairs.enumerated().map {
    "Iteration: \($0.offset + 1) -- Initial size \($0.element.0) --> Final size \($0.element.1)"
  }
}

/// Test vectors from sm's tests/test_cleanup.py at each variant's commit
/// (docs/storage-manager.md#tracker-history); sizes and outcomes are sm's, checked here against every
/// variant so each example also shows where the rule sets part.
@Suite struct CoalesceTrackerSMExampleTests {
  @Test("b43525c/2885fb8 test_leafCoalesceTracker: 11 unchanged iterations exceed 10 (2019, 2022)")
  func unchangedElevenIterations() {
    let pairs = Array(repeating: (UInt64(10), UInt64(10)), count: 11)
    #expect(
      outcomes(pairs) == ["11 maxIterations", "11 maxIterations", "11 maxIterations", "never", "never"])
    #expect(
      summary(.v2019, pairs)
        == ["Aborted coalesce"] + historyLines(pairs) + [
          "Max iterations (10) exceeded", "Starting size was         10", "Final size was            10",
          "Minimum size acheived was 10",
        ])
  }

  @Test("b43525c/2885fb8 test_leafCoalesceTracker: 100→101 four times is the 4th no-progress (2019, 2022)")
  func gettingBiggerFourTimes() {
    let pairs = Array(repeating: (UInt64(100), UInt64(101)), count: 4)
    #expect(outcomes(pairs) == ["4 noProgress", "4 noProgress", "never", "never", "never"])
    #expect(
      summary(.v2022, pairs)
        == ["Aborted coalesce"] + historyLines(pairs) + [
          "No progress made for 3 iterations", "Starting size was         100",
          "Final size was            101", "Minimum size acheived was 100",
        ])
  }

  @Test("b43525c/2885fb8 test_leafCoalesceTracker: 100→100, 100→121 is a bump at iteration 2 (2019, 2022)")
  func bumpAtTwo() {
    let pairs: [(UInt64, UInt64)] = [(100, 100), (100, 121)]
    #expect(outcomes(pairs) == ["2 sizeBump", "2 sizeBump", "never", "never", "never"])
    #expect(
      summary(.v2019, pairs)
        == ["Aborted coalesce"] + historyLines(pairs) + [
          "Unexpected bump in size, compared to minimum acheived", "Starting size was         100",
          "Final size was            121", "Minimum size acheived was 100",
        ])
  }

  @Test(
    "0837303/87f0554 test_leafCoalesceTracker: the bump at iteration 2 is a grace, 100→141 gives up (2024-08, 2024-10)"
  )
  func bumpWithGrace() {
    let pairs: [(UInt64, UInt64)] = [(100, 100), (100, 121), (100, 141)]
    #expect(outcomes(pairs) == ["2 sizeBump", "2 sizeBump", "3 sizeBump", "3 sizeBump", "never"])
    #expect(
      summary(.v2024_08, pairs)
        == ["Aborted coalesce"] + historyLines(pairs) + [
          "Unexpected bump in size, compared to minimum achieved", "Starting size was         100",
          "Final size was            141", "Minimum size achieved was 100",
        ])
  }

  @Test("0837303 test_leafCoalesceTracker_getting_bigger: 100→101 five times; 87f0554 the chained 100…105")
  func gettingBiggerFiveTimes() {
    #expect(
      outcomes(Array(repeating: (UInt64(100), UInt64(101)), count: 5))
        == ["4 noProgress", "4 noProgress", "5 noProgress", "5 noProgress", "never"])
    let chained: [(UInt64, UInt64)] = (100..<105).map { (UInt64($0), UInt64($0 + 1)) }
    #expect(outcomes(chained) == ["4 noProgress", "4 noProgress", "5 noProgress", "5 noProgress", "never"])
  }

  @Test(
    "87f0554 test_leafCoaleesceTracker_too_many_iterations: 20→19 … 11→10, then 10→12 exceeds 10 (2024-10)")
  func tooManyAfterProgress() {
    var pairs: [(UInt64, UInt64)] = (0..<10).map { (UInt64(20 - $0), UInt64(19 - $0)) }
    pairs.append((10, 12))
    #expect(
      outcomes(pairs) == [
        "11 maxIterations", "11 maxIterations", "11 maxIterations", "11 maxIterations", "never",
      ])
    #expect(
      summary(.v2024_10, pairs).suffix(4) == [
        "Max iterations (10) exceeded", "Starting size was         20", "Final size was            12",
        "Minimum size achieved was 10",
      ])
  }

  @Test(
    "527db10 test_leafCoalesceTracker: 100→100, 121, 141, 150, 160 gives up on a bump at iteration 5 (2025-09)"
  )
  func upstreamBumpExample() {
    let pairs: [(UInt64, UInt64)] = [(100, 100), (100, 121), (100, 141), (100, 150), (100, 160)]
    #expect(outcomes(pairs) == ["2 sizeBump", "2 sizeBump", "3 sizeBump", "3 sizeBump", "5 sizeBump"])
    var tracker = CoalesceTracker(variant: .v2025_09)
    for (before, after) in pairs.prefix(4) {
      #expect(tracker.abort(previousSize: before, currentSize: after) == nil)
    }
    // 150 is above the mean of the final sizes (128) and above 1.2 × 100: one grace used.
    #expect(tracker.iterationsWithoutProgress == 1 && tracker.graceRemaining == 1)
    #expect(tracker.abort(previousSize: 100, currentSize: 160) == .sizeBump)
    #expect(
      tracker.iterationsWithoutProgress == 2 && tracker.graceRemaining == 0 && tracker.minimumSize == 100)
    #expect(
      tracker.summaryLines(reason: .sizeBump)
        == ["Aborted coalesce"] + historyLines(pairs) + [
          "Unexpected bump in size, compared to minimum achieved", "Starting size was         100",
          "Final size was            160", "Minimum size achieved was 100",
        ])
  }

  @Test(
    "527db10 test_leafCoaleesceTracker_too_many_iterations: 17 unchanged, then 4 growing, exceed 20 (2025-09)"
  )
  func tooManyUpstream() {
    let before: [UInt64] = Array(repeating: 20, count: 18) + [21, 22, 23]
    let after: [UInt64] = Array(repeating: 20, count: 17) + [21, 22, 23, 24]
    let pairs: [(UInt64, UInt64)] = Array(zip(before, after))
    #expect(
      outcomes(pairs) == [
        "11 maxIterations", "11 maxIterations", "11 maxIterations", "18 maxIterations", "21 maxIterations",
      ])
    #expect(summary(.v2025_09, pairs)[22] == "Max iterations (20) exceeded")
  }

  @Test(
    "527db10 test_leafCoalesceTracker_getting_bigger: 100…107 chained, the 4th no-progress at iteration 7 (2025-09)"
  )
  func gettingBiggerUpstream() {
    let pairs: [(UInt64, UInt64)] = (100..<107).map { (UInt64($0), UInt64($0 + 1)) }
    #expect(
      outcomes(pairs) == ["4 noProgress", "4 noProgress", "5 noProgress", "5 noProgress", "7 noProgress"])
  }

  @Test(
    "test_coalesceLeaf_size_bigger: b43525c's sizes 1024→4096→8000→16000 (2019 at 1, 2022 at 2, 2024 at 3)")
  func coalesceLeafSizeBigger() {
    // The loop reads the size before and after each round: 1024→4096, 4096→8000, 8000→16000.
    let pairs: [(UInt64, UInt64)] = [(1024, 4096), (4096, 8000), (8000, 16000)]
    #expect(outcomes(pairs) == ["1 sizeBump", "2 sizeBump", "3 sizeBump", "3 sizeBump", "never"])
    // 527db10's longer sizes make 2025-09 give up too, at iteration 5.
    let upstream: [(UInt64, UInt64)] = [
      (1024, 4096), (4096, 8000), (8500, 9000), (9500, 10000), (10500, 16000),
    ]
    #expect(outcomes(upstream) == ["1 sizeBump", "2 sizeBump", "3 sizeBump", "3 sizeBump", "5 sizeBump"])
  }

  @Test(
    "test_coalesceLeaf_size_the_same (b43525c–0837303, dropped in 87f0554): 1024 forever gives up at 11 until 2024-08"
  )
  func coalesceLeafSizeTheSame() {
    let pairs = Array(repeating: (UInt64(1024), UInt64(1024)), count: 40)
    #expect(
      outcomes(pairs) == ["11 maxIterations", "11 maxIterations", "11 maxIterations", "never", "never"])
  }

  @Test("test_coalesceLeaf_success_after_4_iterations: 1024→1023→1022→1021, no give-up in any variant")
  func coalesceLeafSuccessAfterFour() {
    // canLiveCoalesce fails 3 times then passes: 3 snapshot-coalesces, 3 tracked iterations.
    #expect(outcomes([(1024, 1023), (1023, 1022), (1022, 1021)]) == Array(repeating: "never", count: 5))
  }
}

@Suite struct CoalesceTrackerTests {
  @Test("one size sequence tells the five variants apart: 1, 3, 11, 13, never")
  func distinguishingSequence() {
    // 100→125 is a bump at once in 2019 (iteration 1 judged); 110→125 the first bump 2022 sees;
    // the steady shrink reaches iteration 11 (2024-08 still tests the limit after progress);
    // 94→95 grows at iteration 13 (2024-10: limit exceeded), but stays below the mean (2025-09).
    let sizes: [UInt64] = [100, 125, 110, 125, 115, 105, 100, 99, 98, 97, 96, 95, 94, 95, 96, 97, 98]
    #expect(run(.v2019, sizes)! == (1, .sizeBump))
    #expect(run(.v2022, sizes)! == (3, .sizeBump))
    #expect(run(.v2024_08, sizes)! == (11, .maxIterations))
    #expect(run(.v2024_10, sizes)! == (13, .maxIterations))
    #expect(run(.v2025_09, sizes) == nil)
  }

  @Test("2025-09 never judges the first 3 iterations, whatever the sizes")
  func firstThreeUnjudged() {
    var tracker = CoalesceTracker(variant: .v2025_09)
    #expect(tracker.abort(previousSize: 1, currentSize: 1000) == nil)
    #expect(tracker.abort(previousSize: 1000, currentSize: 5000) == nil)
    #expect(tracker.abort(previousSize: 5000, currentSize: 90000) == nil)
    #expect(tracker.iterationsWithoutProgress == 0)
    #expect(tracker.graceRemaining == 2)
    // The 4th is judged: it grows, is above the mean and 1.2 × 1: first grace.
    #expect(tracker.abort(previousSize: 90000, currentSize: 100_000) == nil)
    #expect(tracker.graceRemaining == 1)
    #expect(tracker.abort(previousSize: 100_000, currentSize: 110_000) == .sizeBump)
  }

  @Test("while every iteration shrinks: up to 2024-08 the 11th gives up, from 2024-10 never")
  func progressingForever() {
    let sizes = shrinking(from: 100_000, by: 10, iterations: 50)
    for variant in [CoalesceTracker.Variant.v2019, .v2022, .v2024_08] {
      #expect(run(variant, sizes)! == (11, .maxIterations), "\(variant)")
      #expect(run(variant, shrinking(from: 100_000, by: 10, iterations: 10)) == nil, "\(variant)")
    }
    #expect(run(.v2024_10, sizes) == nil)
    #expect(run(.v2025_09, sizes) == nil)
  }

  @Test("steady small growth: the 4th no-progress iteration gives up (2019/2022: 4, 2024: 5, 2025-09: 7)")
  func noProgress() {
    let growing = (0...10).map { 1000 + UInt64($0) * 10 }  // +1 % per iteration, never a bump
    #expect(run(.v2019, growing)! == (4, .noProgress))
    #expect(run(.v2022, growing)! == (4, .noProgress))
    #expect(run(.v2024_08, growing)! == (5, .noProgress))
    #expect(run(.v2024_10, growing)! == (5, .noProgress))
    #expect(run(.v2025_09, growing)! == (7, .noProgress))
  }

  @Test("iteration limits apply to no-progress iterations: 2024-10 at 11, 2025-09 at 21")
  func maxIterationsAfterProgress() {
    let tenThenGrow = shrinking(from: 1000, by: 10, iterations: 10) + [905]
    #expect(run(.v2024_10, tenThenGrow)! == (11, .maxIterations))
    // 2025-09: 905 is below the running mean (≈ 941.4), so still progress.
    #expect(run(.v2025_09, tenThenGrow) == nil)
    let twentyThenGrow = shrinking(from: 1000, by: 1, iterations: 20) + [995]
    #expect(run(.v2025_09, twentyThenGrow)! == (21, .maxIterations))
    #expect(run(.v2024_10, twentyThenGrow)! == (21, .maxIterations))
  }

  @Test("one bump then recovery: 2019/2022 give up at 2, 2024-08 at 5, 2024-10 at 5, 2025-09 at 6")
  func graceIterations() {
    let sizes: [UInt64] = [100, 100, 130, 90, 95, 120, 125]
    #expect(run(.v2019, sizes)! == (2, .sizeBump))
    #expect(run(.v2022, sizes)! == (2, .sizeBump))
    #expect(run(.v2024_08, sizes)! == (5, .sizeBump))
    #expect(run(.v2024_10, sizes)! == (5, .sizeBump))
    #expect(run(.v2025_09, sizes)! == (6, .sizeBump))
  }

  @Test("2019 bump-tests iteration 1, 2022 does not; both give up on a bump even when the iteration shrinks")
  func bumpFirstIteration() {
    var original = CoalesceTracker(variant: .v2019)
    #expect(original.abort(previousSize: 100, currentSize: 200) == .sizeBump)
    var tracker = CoalesceTracker(variant: .v2022)
    #expect(tracker.abort(previousSize: 100, currentSize: 200) == nil)
    #expect(tracker.iterationsWithoutProgress == 1)
    #expect(tracker.abort(previousSize: 200, currentSize: 150) == .sizeBump)
    // 2024-08 judges the shrinking iteration but has a grace; 2024-10 does not judge it at all.
    for variant in [CoalesceTracker.Variant.v2024_08, .v2024_10] {
      var later = CoalesceTracker(variant: variant)
      #expect(later.abort(previousSize: 100, currentSize: 200) == nil)
      #expect(later.abort(previousSize: 200, currentSize: 150) == nil)
      #expect(later.graceRemaining == (variant == .v2024_08 ? 1 : 2))
    }
  }

  @Test("constants, names, commits, wording and the iteration override")
  func constantsAndNames() {
    let all = CoalesceTracker.Variant.allCases
    #expect(all.map(\.name) == ["2019", "2022", "2024-08", "2024-10", "2025-09"])
    #expect(all.map(\.smCommit) == ["b43525c", "2885fb8", "0837303", "87f0554", "527db10"])
    #expect(all.map(\.maxIterations) == [10, 10, 10, 10, 20])
    #expect(all.map(\.unjudgedIterations) == [0, 0, 1, 1, 3])
    #expect(all.map(\.firstBumpTestedIteration) == [1, 2, 2, 2, 2])
    #expect(all.map(\.bumpsToGiveUp) == [1, 1, 2, 2, 2])
    #expect(all.map(\.progressSkipsJudging) == [false, false, false, true, true])
    for variant in all { #expect(CoalesceTracker.Variant(name: variant.name) == variant) }
    #expect(CoalesceTracker.Variant(name: "2023") == nil)
    #expect(
      run(.v2022, shrinking(from: 1000, by: 1, iterations: 10), maxIterations: 3)! == (4, .maxIterations))
    #expect(
      CoalesceTracker.GiveUpReason.maxIterations.message(maxIterations: 20) == "Max iterations (20) exceeded")
    #expect(
      CoalesceTracker.GiveUpReason.noProgress.message(maxIterations: 20)
        == "No progress made for 3 iterations")
    #expect(
      CoalesceTracker(variant: .v2022).message(for: .sizeBump)
        == "Unexpected bump in size, compared to minimum acheived")
    #expect(
      CoalesceTracker(variant: .v2024_08).message(for: .sizeBump)
        == "Unexpected bump in size, compared to minimum achieved")
  }
}

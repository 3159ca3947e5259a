// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import StorageRepository

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

@Suite struct CoalesceTrackerTests {
  @Test("sm tracker example: 100→100, 121, 141, 150, 160 gives up on a bump at iteration 5 (2025-09)")
  func upstreamBumpExample() {
    var tracker = CoalesceTracker(variant: .v2025_09)
    let pairs: [(UInt64, UInt64)] = [(100, 100), (100, 121), (121, 141), (141, 150), (150, 160)]
    var results: [CoalesceTracker.GiveUpReason?] = []
    for (before, after) in pairs {
      results.append(tracker.abort(previousSize: before, currentSize: after))
      if tracker.iterations == 4 {
        // 150 is above the mean (128) and above 1.2 × 100: one grace used.
        #expect(tracker.iterationsWithoutProgress == 1)
        #expect(tracker.graceRemaining == 1)
      }
    }
    #expect(results == [nil, nil, nil, nil, .sizeBump])
    #expect(tracker.iterationsWithoutProgress == 2)
    #expect(tracker.graceRemaining == 0)
    #expect(tracker.minimumSize == 100)
    #expect(
      tracker.summaryLines(reason: .sizeBump) == [
        "Aborted coalesce",
        "Iteration: 1 -- Initial size 100 --> Final size 100",
        "Iteration: 2 -- Initial size 100 --> Final size 121",
        "Iteration: 3 -- Initial size 121 --> Final size 141",
        "Iteration: 4 -- Initial size 141 --> Final size 150",
        "Iteration: 5 -- Initial size 150 --> Final size 160",
        "Unexpected bump in size, compared to minimum achieved",
        "Starting size was         100",
        "Final size was            160",
        "Minimum size achieved was 100",
      ])
  }

  @Test("the same sizes under the older variants: 2024-10 at iteration 3, 2019 at iteration 2")
  func bumpExampleOlderVariants() {
    let sizes: [UInt64] = [100, 100, 121, 141, 150, 160]
    // 2024-10: iteration 1 unjudged; 121 and 141 both grow and exceed 120: two graces gone.
    #expect(run(.v2024_10, sizes)! == (3, .sizeBump))
    // 2019: the first bump (121 > 120 at iteration 2) gives up at once.
    #expect(run(.v2019, sizes)! == (2, .sizeBump))
  }

  @Test("sm tracker loop example: a live check passing on the 4th check means 3 tracked iterations, no give-up")
  func liveCheckOnFourthCheck() {
    for variant in CoalesceTracker.Variant.allCases {
      var tracker = CoalesceTracker(variant: variant)
      var checks = 0
      var size: UInt64 = 400
      var snapshotCoalesces = 0
      var gaveUp: CoalesceTracker.GiveUpReason?
      while true {
        checks += 1
        if checks == 4 { break }  // canLiveCoalesce passes on the 4th check
        let before = size
        size = size * 3 / 4  // the leaf shrinks each iteration
        snapshotCoalesces += 1
        gaveUp = tracker.abort(previousSize: before, currentSize: size)
        if gaveUp != nil { break }
      }
      #expect(gaveUp == nil, "\(variant)")
      #expect(snapshotCoalesces == 3, "\(variant)")
      #expect(tracker.iterations == 3, "\(variant)")
      #expect(tracker.history.map(\.finalSize) == [300, 225, 168], "\(variant)")
    }
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

  @Test("while every iteration shrinks: 2019 gives up at its 11th, 2024-10 and 2025-09 never")
  func progressingForever() {
    #expect(run(.v2019, shrinking(from: 100_000, by: 10, iterations: 50))! == (11, .maxIterations))
    #expect(run(.v2024_10, shrinking(from: 100_000, by: 10, iterations: 50)) == nil)
    #expect(run(.v2025_09, shrinking(from: 100_000, by: 10, iterations: 50)) == nil)
    // Exactly 10 shrinking iterations are fine in 2019.
    #expect(run(.v2019, shrinking(from: 100_000, by: 10, iterations: 10)) == nil)
  }

  @Test("steady small growth: the 4th no-progress iteration gives up (2019: 4, 2024-10: 5, 2025-09: 7)")
  func noProgress() {
    let growing = (0...10).map { 1000 + UInt64($0) * 10 }  // +1 % per iteration, never a bump
    #expect(run(.v2019, growing)! == (4, .noProgress))
    #expect(run(.v2024_10, growing)! == (5, .noProgress))
    #expect(run(.v2025_09, growing)! == (7, .noProgress))
  }

  @Test("iteration limits apply to no-progress iterations: 2024-10 at 11, 2025-09 at 21")
  func maxIterationsAfterProgress() {
    // Ten shrinking iterations, then one that grows a little.
    let tenThenGrow = shrinking(from: 1000, by: 10, iterations: 10) + [905]
    #expect(run(.v2024_10, tenThenGrow)! == (11, .maxIterations))
    // 2025-09: 905 is below the running mean (≈ 941.4), so still progress.
    #expect(run(.v2025_09, tenThenGrow) == nil)
    // Twenty shrinking iterations, then one above the running mean (≈ 989.8) that is not a bump.
    let twentyThenGrow = shrinking(from: 1000, by: 1, iterations: 20) + [995]
    #expect(run(.v2025_09, twentyThenGrow)! == (21, .maxIterations))
    #expect(run(.v2024_10, twentyThenGrow)! == (21, .maxIterations))
  }

  @Test("one bump then recovery: 2019 gives up at 2, 2024-10 at 5, 2025-09 at 6")
  func graceIterations() {
    let sizes: [UInt64] = [100, 100, 130, 90, 95, 120, 125]
    #expect(run(.v2019, sizes)! == (2, .sizeBump))
    #expect(run(.v2024_10, sizes)! == (5, .sizeBump))
    #expect(run(.v2025_09, sizes)! == (6, .sizeBump))
  }

  @Test("2019: no bump test on iteration 1; later a bump gives up even on an iteration that shrinks")
  func bump2019() {
    var tracker = CoalesceTracker(variant: .v2019)
    #expect(tracker.abort(previousSize: 100, currentSize: 200) == nil)
    #expect(tracker.iterationsWithoutProgress == 1)
    #expect(tracker.abort(previousSize: 200, currentSize: 150) == .sizeBump)
    // 2024-10 would not judge a shrinking iteration at all.
    var later = CoalesceTracker(variant: .v2024_10)
    #expect(later.abort(previousSize: 100, currentSize: 200) == nil)
    #expect(later.abort(previousSize: 200, currentSize: 150) == nil)
  }

  @Test("constants, names and the iteration override")
  func constantsAndNames() {
    #expect(CoalesceTracker.Variant.v2019.maxIterations == 10)
    #expect(CoalesceTracker.Variant.v2024_10.maxIterations == 10)
    #expect(CoalesceTracker.Variant.v2025_09.maxIterations == 20)
    #expect(CoalesceTracker.Variant.allCases.map(\.graceIterations) == [1, 2, 2])
    #expect(CoalesceTracker.Variant.allCases.map(\.unjudgedIterations) == [0, 1, 3])
    #expect(CoalesceTracker.Variant.allCases.map(\.name) == ["2019", "2024-10", "2025-09"])
    for variant in CoalesceTracker.Variant.allCases {
      #expect(CoalesceTracker.Variant(name: variant.name) == variant)
    }
    #expect(CoalesceTracker.Variant(name: "2024-08") == nil)
    #expect(
      run(.v2019, shrinking(from: 1000, by: 1, iterations: 10), maxIterations: 3)! == (4, .maxIterations))
    #expect(
      CoalesceTracker.GiveUpReason.maxIterations.message(maxIterations: 20) == "Max iterations (20) exceeded")
    #expect(
      CoalesceTracker.GiveUpReason.noProgress.message(maxIterations: 20)
        == "No progress made for 3 iterations")
  }
}

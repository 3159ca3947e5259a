// SPDX-License-Identifier: GPL-3.0-or-later

/// The analytic model of snapshot-coalesce convergence (docs/storage-manager.md#fixed-point), to
/// check the simulated loop against.
///
/// Each iteration leaves a leaf holding what the guest wrote while it ran: x' = w·(c + x/s), with w
/// the guest's unique write rate (bytes/s), s the coalesce throughput (bytes/s), c the fixed
/// per-iteration overhead (s) and x the previous leaf's size (bytes). The map is a contraction when
/// w < s; its fixed point is w·c / (1 − w/s). Live coalesce becomes possible once the leaf copies
/// in under the live threshold, so the loop ends only if the fixed point is below threshold × s.
public enum SnapshotCoalesceModel {
  /// The leaf size after one iteration that started with a leaf of `leafBytes`.
  public static func next(
    leafBytes x: Double, writeRate w: Double, coalesceRate s: Double, overhead c: Double
  )
    -> Double
  {
    w * (c + x / s)
  }

  /// The size the leaf settles at, w·c / (1 − w/s); nil when the loop diverges (w ≥ s) or the
  /// inputs are not meaningful (s ≤ 0, negative or non-finite w or c).
  public static func fixedPoint(writeRate w: Double, coalesceRate s: Double, overhead c: Double) -> Double? {
    guard s > 0, s.isFinite, w >= 0, w.isFinite, c >= 0, c.isFinite, w < s else { return nil }
    return w * c / (1 - w / s)
  }

  /// Whether the loop can end with a live coalesce: the fixed point copies in under
  /// `liveThresholdSeconds` (timeout × margin, 5 s upstream). False when it diverges.
  public static func converges(
    writeRate w: Double, coalesceRate s: Double, overhead c: Double, liveThresholdSeconds: Double = 5
  ) -> Bool {
    guard let point = fixedPoint(writeRate: w, coalesceRate: s, overhead: c) else { return false }
    return point < liveThresholdSeconds * s
  }

  /// Snapshot-coalesce iterations the loop runs, starting from a leaf of `initialBytes`, before
  /// the leaf copies in under the threshold (the live check comes before each iteration, so a leaf
  /// already small enough needs 0); nil if that has not happened within `maxIterations`.
  public static func iterationsUntilLive(
    initialBytes: Double, writeRate w: Double, coalesceRate s: Double, overhead c: Double,
    liveThresholdSeconds: Double = 5, maxIterations: Int = 1000
  ) -> Int? {
    guard s > 0 else { return nil }
    var x = initialBytes
    for iteration in 0...max(0, maxIterations) {
      if x / s < liveThresholdSeconds { return iteration }
      x = next(leafBytes: x, writeRate: w, coalesceRate: s, overhead: c)
    }
    return nil
  }
}

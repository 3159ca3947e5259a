// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import StorageRepository

/// Iterates the map `count` times from `start`.
private func iterate(from start: Double, _ count: Int, w: Double, s: Double, c: Double) -> Double {
  var x = start
  for _ in 0..<count {
    x = SnapshotCoalesceModel.next(leafBytes: x, writeRate: w, coalesceRate: s, overhead: c)
  }
  return x
}

@Suite struct SnapshotCoalesceModelTests {
  @Test(
    "iterating the map reaches the closed-form fixed point w·c/(1 − w/s) within 1e-9",
    arguments: [
      (10.0, 100.0, 2.0), (50.0, 100.0, 5.0), (90.0, 100.0, 1.0), (1.0, 3.0, 0.25),
    ])
  func fixedPointByIteration(w: Double, s: Double, c: Double) throws {
    let closed = try #require(SnapshotCoalesceModel.fixedPoint(writeRate: w, coalesceRate: s, overhead: c))
    for start in [0.0, 1e4] {
      let iterated = iterate(from: start, 2000, w: w, s: s, c: c)
      #expect(abs(iterated - closed) < 1e-9, "w=\(w) s=\(s) c=\(c) from \(start): \(iterated) vs \(closed)")
    }
    // The fixed point is one: the map leaves it where it is.
    let again = SnapshotCoalesceModel.next(leafBytes: closed, writeRate: w, coalesceRate: s, overhead: c)
    #expect(abs(again - closed) < 1e-9)
  }

  @Test("hand-computed values")
  func values() {
    #expect(SnapshotCoalesceModel.fixedPoint(writeRate: 50, coalesceRate: 100, overhead: 5) == 500)
    #expect(
      SnapshotCoalesceModel.next(leafBytes: 10_000, writeRate: 10, coalesceRate: 100, overhead: 2) == 1020)
    #expect(SnapshotCoalesceModel.fixedPoint(writeRate: 0, coalesceRate: 100, overhead: 5) == 0)
  }

  @Test("w ≥ s diverges: no fixed point, and the map grows without bound")
  func divergence() {
    #expect(SnapshotCoalesceModel.fixedPoint(writeRate: 100, coalesceRate: 100, overhead: 2) == nil)
    #expect(SnapshotCoalesceModel.fixedPoint(writeRate: 150, coalesceRate: 100, overhead: 2) == nil)
    #expect(!SnapshotCoalesceModel.converges(writeRate: 100, coalesceRate: 100, overhead: 2))
    // w = s: each iteration adds exactly w·c.
    #expect(iterate(from: 0, 100, w: 100, s: 100, c: 2) == 20_000)
    // w > s: geometric growth by w/s.
    let x10 = iterate(from: 1000, 10, w: 150, s: 100, c: 2)
    let x11 = iterate(from: 1000, 11, w: 150, s: 100, c: 2)
    #expect(x11 > 1.5 * x10)
    #expect(
      SnapshotCoalesceModel.iterationsUntilLive(
        initialBytes: 1e6, writeRate: 150, coalesceRate: 100, overhead: 2, maxIterations: 500) == nil)
  }

  @Test("convergence to live: fixed point strictly under threshold × s")
  func converges() {
    // Boundary at s = 100, c = 5: fixed point = 5 s × s exactly when w = 50.
    #expect(!SnapshotCoalesceModel.converges(writeRate: 50, coalesceRate: 100, overhead: 5))
    #expect(SnapshotCoalesceModel.converges(writeRate: 49.9, coalesceRate: 100, overhead: 5))
    // s = 100, c = 2: boundary at w = 500/7 ≈ 71.43.
    #expect(SnapshotCoalesceModel.converges(writeRate: 70, coalesceRate: 100, overhead: 2))
    #expect(!SnapshotCoalesceModel.converges(writeRate: 72, coalesceRate: 100, overhead: 2))
    #expect(
      SnapshotCoalesceModel.converges(writeRate: 72, coalesceRate: 100, overhead: 2, liveThresholdSeconds: 6))
  }

  @Test("iterations until live: the check comes before each iteration")
  func iterationsUntilLive() {
    // 10000 → 1020 (10.2 s) → 122 (1.22 s): two snapshot-coalesces.
    #expect(
      SnapshotCoalesceModel.iterationsUntilLive(
        initialBytes: 10_000, writeRate: 10, coalesceRate: 100, overhead: 2) == 2)
    #expect(
      SnapshotCoalesceModel.iterationsUntilLive(
        initialBytes: 499, writeRate: 10, coalesceRate: 100, overhead: 2) == 0)
    // Converging in the limit but to a fixed point above the threshold: never live.
    #expect(
      SnapshotCoalesceModel.iterationsUntilLive(
        initialBytes: 10_000, writeRate: 72, coalesceRate: 100, overhead: 2) == nil)
  }

  @Test("meaningless inputs give no fixed point")
  func invalidInputs() {
    #expect(SnapshotCoalesceModel.fixedPoint(writeRate: 1, coalesceRate: 0, overhead: 1) == nil)
    #expect(SnapshotCoalesceModel.fixedPoint(writeRate: -1, coalesceRate: 10, overhead: 1) == nil)
    #expect(SnapshotCoalesceModel.fixedPoint(writeRate: 1, coalesceRate: 10, overhead: -1) == nil)
    #expect(SnapshotCoalesceModel.fixedPoint(writeRate: .nan, coalesceRate: 10, overhead: 1) == nil)
  }
}

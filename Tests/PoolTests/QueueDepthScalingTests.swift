// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing

/// docs/simulation.md#queue-depth-scaling: the latency factor by I/Os in flight, and a device with it
/// giving a calibration's IOPS back at the calibrated depths.
@Suite struct QueueDepthScalingTests {
  let curve = QueueDepthScaling(
    read: [.init(depth: 1, factor: 1), .init(depth: 8, factor: 2.4), .init(depth: 32, factor: 6)],
    write: [.init(depth: 1, factor: 1), .init(depth: 8, factor: 2)])!

  @Test func factorIsLinearBetweenDepthsAndFlatBeyond() {
    #expect(curve.factor(isWrite: false, inFlight: 1) == 1)
    #expect(curve.factor(isWrite: false, inFlight: 8) == 2.4)
    // Between 1 and 8: 1 + 1.4 × 3/7.
    #expect(abs(curve.factor(isWrite: false, inFlight: 4) - (1 + 1.4 * 3 / 7)) < 1e-12)
    #expect(abs(curve.factor(isWrite: false, inFlight: 20) - 4.2) < 1e-12)
    #expect(curve.factor(isWrite: false, inFlight: 100) == 6)
    #expect(curve.factor(isWrite: true, inFlight: 32) == 2)
    #expect(curve.deepest == 32)
  }

  /// docs/simulation.md#queue-depth-scaling: a read moves from its own curve to the mixed factor as
  /// the writes' share in flight rises to the mixed job's (0.4 here), a write as the reads' share
  /// rises to 0.6; below the first mixed depth the mixed factor runs from 1 at depth 1.
  @Test func mixedFactorFollowsTheWritesInFlight() throws {
    let mixed = try #require(
      QueueDepthScaling(
        read: curve.read, write: curve.write,
        mixed: [.init(depth: 8, writeShare: 0.4, read: 3, write: 4)]))
    // Reads at 8 in flight (single-direction factor 2.4).
    #expect(mixed.factor(isWrite: false, inFlight: 8, writes: 0) == 2.4)
    #expect(abs(mixed.factor(isWrite: false, inFlight: 8, writes: 2) - (2.4 + 0.6 * 0.625)) < 1e-12)
    #expect(mixed.factor(isWrite: false, inFlight: 8, writes: 4) == 3)
    #expect(mixed.factor(isWrite: false, inFlight: 8, writes: 7) == 3)
    // Writes at 8 (single-direction factor 2): all writes keep it; 3 reads of 8 give 0.625 of the way.
    #expect(mixed.factor(isWrite: true, inFlight: 8, writes: 8) == 2)
    #expect(abs(mixed.factor(isWrite: true, inFlight: 8, writes: 5) - (2 + 2 * 0.625)) < 1e-12)
    #expect(mixed.factor(isWrite: true, inFlight: 8, writes: 2) == 4)
    // Depth 4: mixed read factor 1 + 2 × 3/7; single 1 + 1.4 × 3/7.
    #expect(abs(mixed.factor(isWrite: false, inFlight: 4, writes: 2) - (1 + 2.0 * 3 / 7)) < 1e-12)
    // Flat beyond the deepest mixed point; one I/O alone is never mixed.
    #expect(mixed.factor(isWrite: false, inFlight: 40, writes: 20) == 3)
    #expect(mixed.factor(isWrite: true, inFlight: 1, writes: 1) == 1)
    // Without a mixed curve the mix changes nothing.
    #expect(curve.factor(isWrite: false, inFlight: 8, writes: 4) == 2.4)
    // A device with it: a read that starts among writes takes longer than among reads.
    var m = SSDModel(
      readLatency: .microseconds(100), writeLatency: .microseconds(100), readBandwidth: 4.096e12,
      writeBandwidth: 4.096e12, channels: 32, capacityBytes: 1 << 30)
    m.queueDepthScaling = mixed
    func readAfter(_ others: Bool) -> SimTime {
      var d = m
      for i in 0..<7 {
        _ = d.serviceTime([DiskOp(offset: UInt64(i) << 20, length: 4096, isWrite: others)], at: .zero)
      }
      return d.serviceTime([DiskOp(offset: 1 << 29, length: 4096, isWrite: false)], at: .zero)
    }
    // 8 in flight: among 7 reads 100 µs × 2.4 (+1 ns bus); among 7 writes 100 µs × 3.
    #expect(readAfter(false) == .nanoseconds(240_001))
    #expect(readAfter(true) == .nanoseconds(300_001))
  }

  @Test func mixedPointsMustBeDeeperThanOneAndRise() {
    let r = curve.read
    let w = curve.write
    #expect(
      QueueDepthScaling(read: r, write: w, mixed: [.init(depth: 1, writeShare: 0.3, read: 1, write: 1)])
        == nil)
    #expect(
      QueueDepthScaling(read: r, write: w, mixed: [.init(depth: 8, writeShare: 0, read: 2, write: 2)]) == nil)
    #expect(
      QueueDepthScaling(read: r, write: w, mixed: [.init(depth: 8, writeShare: 1, read: 2, write: 2)]) == nil)
    #expect(
      QueueDepthScaling(
        read: r, write: w,
        mixed: [
          .init(depth: 8, writeShare: 0.3, read: 2, write: 2),
          .init(depth: 8, writeShare: 0.3, read: 3, write: 3),
        ]) == nil)
    #expect(
      QueueDepthScaling(read: r, write: w, mixed: [.init(depth: 8, writeShare: 0.3, read: -1, write: 2)])
        == nil)
  }

  @Test func curvesMustStartAtOneAndRise() {
    #expect(QueueDepthScaling(read: [.init(depth: 2, factor: 1)], write: [.init(depth: 1, factor: 1)]) == nil)
    #expect(
      QueueDepthScaling(read: [.init(depth: 1, factor: 1.5)], write: [.init(depth: 1, factor: 1)]) == nil)
    #expect(
      QueueDepthScaling(
        read: [.init(depth: 1, factor: 1), .init(depth: 8, factor: 2), .init(depth: 8, factor: 3)],
        write: [.init(depth: 1, factor: 1)]) == nil)
    #expect(
      QueueDepthScaling(
        read: [.init(depth: 1, factor: 1), .init(depth: 8, factor: .infinity)],
        write: [.init(depth: 1, factor: 1)])
        == nil)
  }

  /// Fixed 100 µs reads, a bus too fast to matter, 32 channels: at depth n in a closed loop every
  /// read sees n in flight, so it takes 100 µs × factor(n) and the device gives n / that IOPS —
  /// exactly the calibration it was fitted from (4.096 TB/s bus: 1 ns per 4 KiB).
  @Test func closedLoopAtTheMeasuredDepthsGivesTheMeasuredIOPS() {
    var m = SSDModel(
      readLatency: .microseconds(100), writeLatency: .microseconds(100), readBandwidth: 4.096e12,
      writeBandwidth: 4.096e12, channels: 32, capacityBytes: 1 << 30)
    m.queueDepthScaling = curve
    for (depth, factor) in [(1, 1.0), (8, 2.4), (32, 6.0)] {
      let f = DiskCalibration.measure(m, pattern: .random, ioBytes: 4096, queueDepth: depth, ios: 20_000)
      let expected = Double(depth) / (100e-6 * factor)
      #expect(abs(f.iops - expected) / expected < 0.002, "depth \(depth): \(f.iops) vs \(expected)")
    }
    // Without the curve the same 32 units give 8 × the depth-1 rate at depth 8.
    m.queueDepthScaling = nil
    let plain = DiskCalibration.measure(m, pattern: .random, ioBytes: 4096, queueDepth: 8, ios: 20_000)
    #expect(abs(plain.iops - 80_000) / 80_000 < 0.002)
  }

  /// docs/simulation.md#queue-depth-scaling: I/Os that reach the device at one instant (a plugged
  /// `io_submit`'s burst) each count the whole burst as in flight, where served one after another
  /// the first would see itself alone and the last all of them; an I/O after the burst counts as
  /// before. Fixed 100 µs, 1 ns of bus per 4 KiB, read curve 1 → 2.4 at 8 (0.2 per I/O).
  @Test func aBurstsIOsCountEachOther() {
    var m = SSDModel(
      readLatency: .microseconds(100), writeLatency: .microseconds(100), readBandwidth: 4.096e12,
      writeBandwidth: 4.096e12, channels: 32, capacityBytes: 1 << 30)
    m.queueDepthScaling = curve
    func read(_ i: Int, _ d: inout SSDModel) -> SimTime {
      d.serviceTime([DiskOp(offset: UInt64(i) << 20, length: 4096, isWrite: false)], at: .zero)
    }
    var oneByOne = m
    let alone = (0..<4).map { read($0, &oneByOne) }
    // 1, 2, 3, 4 in flight: factors 1, 1.2, 1.4, 1.6.
    #expect(alone == [100_001, 120_001, 140_001, 160_001].map { SimTime.nanoseconds($0) })
    var together = m
    together.arriveTogether(count: 4, writes: 0)
    let burst = (0..<4).map { read($0, &together) }
    // Each at factor 1.6; their transfers queue on the shared bus, 1 ns each.
    #expect(burst == [160_001, 160_002, 160_003, 160_004].map { SimTime.nanoseconds($0) })
    // The burst is over: the next I/O counts the four and itself.
    #expect(read(4, &together) == .nanoseconds(180_001))
  }
}

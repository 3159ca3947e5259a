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
}

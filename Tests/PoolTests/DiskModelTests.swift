// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing

@Suite struct DiskModelTests {
  func figures(
    _ m: any DiskModel, _ p: DiskCalibration.Pattern, write: Bool = false, bytes: UInt64, qd: Int, n: Int
  )
    -> DiskCalibration.Figures
  {
    DiskCalibration.measure(m, pattern: p, isWrite: write, ioBytes: bytes, queueDepth: qd, ios: n)
  }

  @Test func sata7200MatchesItsDocumentedBands() {
    let random = figures(RotatingDiskModel.sata7200, .random, bytes: 4096, qd: 1, n: 4_000)
    #expect((65...100).contains(random.iops), "random 4 KiB IOPS \(random.iops)")
    let random8 = figures(RotatingDiskModel.sata7200, .random, bytes: 4096, qd: 8, n: 4_000)
    #expect((65...100).contains(random8.iops), "random 4 KiB IOPS at QD8 \(random8.iops)")
    let seq = figures(RotatingDiskModel.sata7200, .sequential, bytes: 1 << 20, qd: 1, n: 2_000)
    #expect((140e6...165e6).contains(seq.bytesPerSecond), "sequential \(seq.bytesPerSecond) B/s")
  }

  @Test func nvmeMatchesItsDocumentedBands() {
    let random = figures(SSDModel.nvmeDatacenter, .random, bytes: 4096, qd: 32, n: 100_000)
    #expect((300e3...450e3).contains(random.iops), "random 4 KiB IOPS \(random.iops)")
    let seq = figures(SSDModel.nvmeDatacenter, .sequential, bytes: 1 << 20, qd: 32, n: 20_000)
    #expect((2.5e9...3.1e9).contains(seq.bytesPerSecond), "sequential read \(seq.bytesPerSecond) B/s")
    let seqW = figures(SSDModel.nvmeDatacenter, .sequential, write: true, bytes: 1 << 20, qd: 32, n: 20_000)
    #expect((1.7e9...2.1e9).contains(seqW.bytesPerSecond), "sequential write \(seqW.bytesPerSecond) B/s")
  }

  @Test func iscsiMatchesItsDocumentedBands() {
    let random = figures(ISCSIModel.iscsi10GbE, .random, bytes: 4096, qd: 32, n: 100_000)
    #expect((120e3...170e3).contains(random.iops), "random 4 KiB IOPS \(random.iops)")
    let seq = figures(ISCSIModel.iscsi10GbE, .sequential, bytes: 1 << 20, qd: 32, n: 20_000)
    #expect((1.0e9...1.2e9).contains(seq.bytesPerSecond), "sequential \(seq.bytesPerSecond) B/s")
  }

  @Test func rotatingDiskSeekAndRotationAreExact() {
    var d = RotatingDiskModel(
      rpm: 6000, settle: .milliseconds(1), fullStrokeSeek: .milliseconds(11), transferRate: 100e6,
      capacityBytes: 1_000_000_000)
    // 6000 rpm: 10 ms per revolution, 1 MB per revolution. Quarter-disk seek: 1 + 10·√0.25 = 6 ms.
    #expect(d.seekTime(from: 0, to: 250_000_000) == .milliseconds(6))
    // From offset 0 at t = 0 to offset 250 MB (angle 0): seek 6 ms, wait 4 ms to angle 0, 4096 B in 40.96 µs.
    let t = d.serviceTime([DiskOp(offset: 250_000_000, length: 4096, isWrite: false)], at: .zero)
    #expect(t == .milliseconds(10) + .nanoseconds(40_960))
    // Continuing where the head is: transfer only.
    let t2 = d.serviceTime([DiskOp(offset: 250_004_096, length: 4096, isWrite: false)], at: .milliseconds(50))
    #expect(t2 == .nanoseconds(40_960))
    // Write cache: acknowledgement plus interface transfer, head unmoved.
    d.writeCache = .init(ackLatency: .microseconds(50), interfaceRate: 512e6)
    let t3 = d.serviceTime([DiskOp(offset: 0, length: 4096, isWrite: true)], at: .milliseconds(60))
    #expect(t3 == .microseconds(58))
    #expect(d.headOffset == 250_008_192)
  }

  @Test func ssdSharesItsBusBetweenChannels() {
    var s = SSDModel(
      readLatency: .microseconds(10), writeLatency: .microseconds(10), readBandwidth: 1e9,
      writeBandwidth: 1e9,
      channels: 4, capacityBytes: 1 << 30)
    let op = [DiskOp(offset: 0, length: 1_000_000, isWrite: false)]
    #expect(s.serviceTime(op, at: .zero) == .microseconds(1_010))
    // A second request starting at the same instant waits for the bus.
    #expect(s.serviceTime(op, at: .zero) == .microseconds(2_010))
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing

/// docs/simulation.md#completion-rounds: a device that completes what it holds in rounds, and the
/// tapdisk thread collecting a round in one turn.
@Suite struct CompletionRoundsTests {
  /// 100 µs reads, 100 µs writes (fixed); a 4 KiB transfer takes 1 ns. Rounds: reads ×2 at 8, writes
  /// ×3 at 8, linear from 1.
  func device() -> SSDModel {
    var m = SSDModel(
      readLatency: .microseconds(100), writeLatency: .microseconds(100), readBandwidth: 4.096e12,
      writeBandwidth: 4.096e12, channels: 32, capacityBytes: 1 << 30)
    m.batchScaling = QueueDepthScaling(
      read: [.init(depth: 1, factor: 1), .init(depth: 8, factor: 2)],
      write: [.init(depth: 1, factor: 1), .init(depth: 8, factor: 3)])
    return m
  }

  func op(_ i: Int, write: Bool = false) -> DiskOp {
    DiskOp(offset: UInt64(i) << 20, length: 4096, isWrite: write)
  }

  /// A burst of 8 reads opens a round and all 8 complete at its end, 100 µs × 2 plus the transfer;
  /// one I/O alone takes its depth-1 time.
  @Test func aBurstCompletesTogether() {
    var d = device()
    #expect(d.completesInRounds && d.timesIOsAsTheyStart)
    d.arriveTogether(count: 8, writes: 0)
    let ends = (0..<8).map { d.serviceTime([op($0)], at: .zero) }
    #expect(ends == Array(repeating: .nanoseconds(200_001), count: 8))
    #expect(d.serviceTime([op(9)], at: .milliseconds(1)) == .nanoseconds(100_001))
  }

  /// The slower direction decides a mixed round: 6 reads and 2 writes all complete at the writes'
  /// 100 µs × 3 (no mixed curve: each direction its own factor at 8).
  @Test func aMixedRoundTakesItsSlowerDirection() {
    var d = device()
    d.arriveTogether(count: 8, writes: 2)
    let ends = (0..<8).map { d.serviceTime([op($0, write: $0 >= 6)], at: .zero) }
    #expect(ends == Array(repeating: .nanoseconds(300_001), count: 8))
  }

  /// I/Os that arrive during a round are held; when it ends they start the next round together,
  /// timed at their own number (2 reads: factor 1 + 1/7), and complete at its end; after that the
  /// device is idle and an I/O opens a round of one.
  @Test func arrivalsDuringARoundAreHeldForTheNext() {
    var d = device()
    d.arriveTogether(count: 8, writes: 0)
    for i in 0..<8 { _ = d.serviceTime([op(i)], at: .zero) }
    #expect(d.roundEnd == .microseconds(200))
    #expect(d.serviceTime([op(20)], at: .microseconds(50)) == SimulatedDisk.heldForRound)
    #expect(d.serviceTime([op(21)], at: .microseconds(120)) == SimulatedDisk.heldForRound)
    // 100 µs × 8/7, rounded, plus the transfer.
    #expect(d.startHeldRound(at: .microseconds(200)) == .nanoseconds(114_287))
    #expect(d.serviceTime([op(22)], at: .microseconds(500)) == .nanoseconds(100_001))
    // The pool's side: the first I/O held asks for the round's start; the held slots come back in
    // order, with the round's time.
    var disk = SimulatedDisk(model: device())
    disk.arriveTogether(count: 2, writes: 0)
    func serve(_ i: Int, at t: SimTime) -> SimTime {
      [op(i)].withUnsafeBufferPointer { disk.service($0, at: t) }
    }
    let first = serve(0, at: .zero)
    #expect(first == .nanoseconds(114_287))
    #expect(serve(1, at: .zero) == first)
    #expect(serve(2, at: .microseconds(10)) == SimulatedDisk.heldForRound)
    #expect(disk.hold(7) == .nanoseconds(114_286))
    #expect(serve(3, at: .microseconds(20)) == SimulatedDisk.heldForRound)
    #expect(disk.hold(3) == nil)
    #expect(disk.startHeldRound(at: .nanoseconds(114_286)) == .nanoseconds(114_287))
    #expect(disk.nextStarted() == 7 && disk.nextStarted() == 3 && disk.nextStarted() == nil)
  }

  /// fio's streaming jobs are played without the rounds: `DiskCalibration` gives the same figures
  /// for the device and for it without `batchScaling`, and a device without it completes each I/O
  /// on its own.
  @Test func calibrationHarnessPlaysStreamingWithoutRounds() {
    let d = device()
    #expect(!d.withoutRounds.completesInRounds && d.withoutRounds.batchScaling == nil)
    let a = DiskCalibration.measure(d, pattern: .random, ioBytes: 4096, queueDepth: 8, ios: 2_000)
    let b = DiskCalibration.measure(
      d.withoutRounds, pattern: .random, ioBytes: 4096, queueDepth: 8, ios: 2_000)
    #expect(a == b)
    // Eight 100 µs channels: 80,000 IOPS.
    #expect(abs(a.iops - 80_000) < 100)
  }

  /// In the pool, the tapdisk thread's turn takes every completion of the instant: at iodepth 8 on
  /// a device that completes in rounds its `io_getevents` calls collect several I/Os each, where on
  /// the same device completing each I/O on its own they collect fewer.
  @Test func theThreadCollectsARoundInOneTurn() throws {
    func perCall(_ model: SSDModel) throws -> Double {
      let disk = DiskProfile(
        name: "rounds", model: model, variability: false,
        engineCPU: EngineCPUCost(
          perRequest: .microseconds(3), perLevel: .zero, perIO: .microseconds(2), perSubmit: .microseconds(2))
      )
      let scenario = PoolScenario(
        chain: ChainSpec(depth: 1, virtualSize: 64 << 20, baseFill: 1, writesPerSnapshot: 0, seed: 3),
        workload: WorkloadSpec(readFraction: 1, arrivals: .closedLoop(ioDepth: 8)), disk: disk,
        duration: .milliseconds(20), recordTrace: true)
      let pool = try scenario.makePool()
      _ = try pool.run(for: .milliseconds(20))
      return pool.collections(vdi: 0).perCall
    }
    var queued = device()
    queued.queueDepthScaling = queued.batchScaling
    let rounds = try perCall(queued)
    let single = try perCall(queued.withoutRounds)
    #expect(rounds > 6, "\(rounds)")
    #expect(single < rounds - 2, "\(single) \(rounds)")
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing

/// docs/simulation.md#completion-rounds: a device that completes what it holds in rounds, and the
/// tapdisk thread collecting a round in one turn.
@Suite struct CompletionRoundsTests {
  /// 100 µs reads, 100 µs writes (fixed); a 4 KiB transfer takes 1 ns. Rounds: reads ×2 at 8 and ×4
  /// at 32, writes ×3 at 8, linear from 1 and between.
  func device() -> SSDModel {
    var m = SSDModel(
      readLatency: .microseconds(100), writeLatency: .microseconds(100), readBandwidth: 4.096e12,
      writeBandwidth: 4.096e12, channels: 32, capacityBytes: 1 << 30)
    m.batchScaling = QueueDepthScaling(
      read: [.init(depth: 1, factor: 1), .init(depth: 8, factor: 2), .init(depth: 32, factor: 4)],
      write: [.init(depth: 1, factor: 1), .init(depth: 8, factor: 3)])
    return m
  }

  func op(_ i: Int, write: Bool = false) -> DiskOp {
    DiskOp(offset: UInt64(i) << 20, length: 4096, isWrite: write)
  }

  /// Every I/O is held for its round; 8 reads at one instant make one round of 8, ending at 100 µs ×
  /// 2 plus one transfer; an I/O at an idle device opens the next round, of one.
  @Test func aBurstIsOneRound() {
    var d = device()
    #expect(d.completesInRounds && d.timesIOsAsTheyStart)
    for i in 0..<8 { #expect(d.serviceTime([op(i)], at: .zero) == SimulatedDisk.heldForRound) }
    #expect(d.roundEnd == .nanoseconds(200_001) && d.roundSerial == 1)
    _ = d.serviceTime([op(9)], at: .milliseconds(1))
    #expect(d.roundEnd == .nanoseconds(1_100_001) && d.roundSerial == 2)
    // Several I/Os in one call join the same round: two reads, 100 µs × (1 + 1/7) plus a transfer.
    #expect(d.serviceTime([op(10), op(11)], at: .milliseconds(2)) == SimulatedDisk.heldForRound)
    #expect(d.roundEnd == .milliseconds(2) + .nanoseconds(114_287) && d.roundSerial == 3)
  }

  /// The slower direction decides a mixed round: 6 reads and 2 writes end at the writes' 100 µs × 3
  /// (no mixed curve: each direction its own factor at 8).
  @Test func aMixedRoundTakesItsSlowerDirection() {
    var d = device()
    for i in 0..<8 { _ = d.serviceTime([op(i, write: i >= 6)], at: .zero) }
    #expect(d.roundEnd == .nanoseconds(300_001) && d.roundSerial == 1)
  }

  /// An I/O that arrives during a round joins it and lengthens it to its new size (9 reads: factor
  /// 2 + 2/24); once it has ended, the next I/O opens a new round.
  @Test func aLateIOJoinsTheRoundInService() {
    var d = device()
    for i in 0..<8 { _ = d.serviceTime([op(i)], at: .zero) }
    _ = d.serviceTime([op(20)], at: .microseconds(50))
    // 100 µs × (2 + 1/12), rounded, plus the transfer.
    #expect(d.roundEnd == .nanoseconds(208_334) && d.roundSerial == 1)
    _ = d.serviceTime([op(21)], at: .microseconds(300))
    #expect(d.roundEnd == .nanoseconds(400_001) && d.roundSerial == 2)
  }

  /// The pool's side of the disk: it keeps each round's slots and when they arrived; a slot that
  /// joins after the round's number changed first ends the round before, whose slots come back in
  /// order with their time on the disk.
  @Test func theDiskHandsARoundsSlotsBackTogether() {
    var disk = SimulatedDisk(model: device())
    func serve(_ i: Int, at t: SimTime) -> SimTime {
      [op(i)].withUnsafeBufferPointer { disk.service($0, at: t) }
    }
    #expect(serve(0, at: .zero) == SimulatedDisk.heldForRound)
    #expect(disk.hold(7, at: .zero) == (end: .nanoseconds(100_001), endedAt: nil))
    _ = serve(1, at: .microseconds(10))
    // Two reads: 100 µs × (1 + 1/7), rounded, plus the transfer.
    #expect(disk.hold(3, at: .microseconds(10)) == (end: .nanoseconds(114_287), endedAt: nil))
    #expect(disk.nextEnded(at: .microseconds(100)) == nil)
    _ = serve(2, at: .milliseconds(1))
    #expect(disk.hold(5, at: .milliseconds(1)) == (end: .nanoseconds(1_100_001), endedAt: .milliseconds(1)))
    let first = disk.nextEnded(at: .milliseconds(1))
    let second = disk.nextEnded(at: .milliseconds(1))
    #expect(first?.slot == 7 && first?.service == .milliseconds(1))
    #expect(second?.slot == 3 && second?.service == .microseconds(990))
    #expect(disk.nextEnded(at: .milliseconds(1)) == nil)
    disk.endRound()
    #expect(disk.nextEnded(at: .nanoseconds(1_100_001))?.slot == 5)
    #expect(disk.nextEnded(at: .nanoseconds(1_100_001)) == nil)
  }

  /// A file system in front of the device (docs/simulation.md#file-system-allocation): an aligned
  /// write into a hole holds its file's lane for its allocation (20 µs) and then joins the round in
  /// service as a write whose depth-1 latency is what its own 150 µs leave after the allocation,
  /// 130 µs; it completes with the round. The thread is in io_submit for the allocation. An
  /// unaligned one (a bitmap into a hole) still waits for the file's I/O in flight and takes its
  /// own time; so does every allocating write of a profile that does not time the allocation apart.
  @Test func anAlignedAllocatingWriteJoinsTheRoundAfterItsAllocation() {
    var d = device()
    d.fileSystem = FileSystemAllocation(
      allocatingWrite: SizeClassLatency(.fixed(.microseconds(150))),
      allocatingSubmit: SizeClassLatency(.fixed(.microseconds(20))), punchHole: .fixed(.microseconds(30)))
    let alloc = DiskOp(offset: 1 << 20, length: 4096, isWrite: true, space: .allocates, file: 0)
    for i in 0..<7 { _ = d.serviceTime([op(i)], at: .zero) }
    #expect(d.serviceTime([alloc], at: .zero) == SimulatedDisk.heldForRound)
    #expect(d.submitterHeld(alloc, service: .zero, at: .zero) == .microseconds(20))
    // 7 reads and a write into a hole: the write's 130 µs × 3 decides.
    #expect(d.roundEnd == .nanoseconds(390_001) && d.roundSerial == 1)
    // Unaligned: after the file's I/O in flight (the round, to 390,001 ns), 150 µs under the lock.
    let bitmap = DiskOp(offset: 512, length: 512, isWrite: true, space: .allocates, file: 0)
    #expect(d.serviceTime([bitmap], at: .microseconds(10)) == .nanoseconds(530_002))
    #expect(d.roundSerial == 1)
    // Alone, a round of one: the allocation and then 130 µs, its own 150 µs in all.
    #expect(d.serviceTime([alloc], at: .milliseconds(1)) == SimulatedDisk.heldForRound)
    #expect(d.roundEnd == .milliseconds(1) + .nanoseconds(150_001) && d.roundSerial == 2)
    d.fileSystem!.allocatingSubmit = nil
    #expect(d.serviceTime([alloc], at: .milliseconds(2)) == .nanoseconds(150_001))
    #expect(d.roundSerial == 2)
  }

  /// A round whose end is due while a later I/O's submission is still under way ends when it is
  /// due: a read opens a round ending at 100 µs; an allocating write whose 20 µs allocation begins
  /// at 90 µs opens the next round at 110 µs (ending 130 µs later), and the read's round comes back
  /// as due at 100 µs, not at 90 µs when the write reached the disk.
  @Test func aRoundEndsWhenDueThoughTheNextOpensLater() {
    var d = device()
    d.fileSystem = FileSystemAllocation(
      allocatingWrite: SizeClassLatency(.fixed(.microseconds(150))),
      allocatingSubmit: SizeClassLatency(.fixed(.microseconds(20))), punchHole: .fixed(.microseconds(30)))
    var disk = SimulatedDisk(model: d)
    func serve(_ op: DiskOp, at t: SimTime) -> SimTime {
      [op].withUnsafeBufferPointer { disk.service($0, at: t) }
    }
    #expect(serve(op(0), at: .zero) == SimulatedDisk.heldForRound)
    #expect(disk.hold(7, at: .zero) == (end: .nanoseconds(100_001), endedAt: nil))
    let alloc = DiskOp(offset: 1 << 20, length: 4096, isWrite: true, space: .allocates, file: 0)
    #expect(serve(alloc, at: .microseconds(90)) == SimulatedDisk.heldForRound)
    #expect(
      disk.hold(5, at: .microseconds(90)) == (end: .nanoseconds(240_001), endedAt: .nanoseconds(100_001)))
    let read = disk.nextEnded(at: .nanoseconds(100_001))
    #expect(read?.slot == 7 && read?.service == .nanoseconds(100_001))
    #expect(disk.nextEnded(at: .nanoseconds(100_001)) == nil)
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

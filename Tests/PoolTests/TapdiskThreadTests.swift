import Simulation
import Testing
import VHD

// SPDX-License-Identifier: GPL-3.0-or-later
@testable import Pool

/// docs/simulation.md#the-tapdisk-thread-in-turns: the thread's turns (collect what one
/// `io_getevents` returned, run engine calls, submit everything queued in one `io_submit`), and the
/// time in flight counted as the validation's real loop counts it.
@Suite struct TapdiskThreadTests {
  /// A turn collects only what had completed when it began; what completes meanwhile waits for the
  /// next turn, after the turn's submissions.
  @Test func aTurnCollectsWhatWasThereThenSubmitsAll() {
    var t = TapdiskThread()
    t.completed(1)
    t.completed(2)
    #expect(t.next(at: .microseconds(10)) == .collect(1))
    #expect(t.collectedAt == .microseconds(10))
    t.completed(3)  // during the turn
    t.queueSubmission(1)
    #expect(t.next(at: .microseconds(15)) == .collect(2))
    t.queueSubmission(2)
    #expect(t.next(at: .microseconds(20)) == .submit(1))
    #expect(t.submitBegan == .microseconds(20))
    #expect(t.next(at: .microseconds(21)) == .submit(2))
    #expect(t.submitBegan == .microseconds(20))
    // The next turn's io_getevents returns the completion that came during this one.
    #expect(t.next(at: .microseconds(30)) == .collect(3))
    #expect(t.collectedAt == .microseconds(30))
    #expect(t.next(at: .microseconds(31)) == nil)
    // Two io_getevents calls, the first returning two completions, the second one.
    #expect(t.collections == CollectionCounts(calls: 2, completions: 3))
    #expect(t.collections.perCall == 1.5 && CollectionCounts().perCall == 0)
  }

  /// An `io_submit` of more than two I/Os plugs: what was put in the plug goes to the device in one
  /// flush when the submissions end; one of two I/Os does not plug (fs/aio.c `AIO_PLUG_THRESHOLD`).
  @Test func aSubmissionOfMoreThanTwoPlugs() {
    var t = TapdiskThread()
    t.queueSubmission(1)
    t.queueSubmission(2)
    #expect(t.next(at: .zero) == .submit(1))
    #expect(!t.plugging)
    #expect(t.next(at: .zero) == .submit(2))
    #expect(t.next(at: .zero) == nil)
    for s: Int32 in 1...3 { t.queueSubmission(s) }
    #expect(t.next(at: .microseconds(1)) == .submit(1))
    #expect(t.plugging)
    let full1 = t.plugged(1, isWrite: false)
    #expect(t.next(at: .microseconds(2)) == .submit(2))
    let full2 = t.plugged(2, isWrite: true)
    #expect(!full1 && !full2)
    #expect(t.next(at: .microseconds(3)) == .submit(3))  // an allocating write: not plugged
    #expect(t.next(at: .microseconds(4)) == .flush)
    // The flush hands the device both I/Os as one burst, one of them a write; then in order.
    let burst = t.unplugging()
    #expect(burst.count == 2 && burst.writes == 1)
    let unplugged = [t.unplugNext(), t.unplugNext(), t.unplugNext()]
    #expect(unplugged == [1, 2, nil])
    #expect(t.next(at: .microseconds(4)) == nil)
    #expect(!t.plugging)
    // A full plug says so; its burst counts afresh.
    let full = (0..<Int32(TapdiskThread.plugCapacity)).map { t.plugged($0, isWrite: false) }
    #expect(full == (0..<TapdiskThread.plugCapacity).map { $0 == TapdiskThread.plugCapacity - 1 })
    let second = t.unplugging()
    #expect(second.count == TapdiskThread.plugCapacity && second.writes == 0)
  }

  /// A request the tapdisk takes while the thread handles a completion (the freed slot's next
  /// request) has its engine call run next, before the rest of the turn; one taken otherwise waits
  /// its place after the collections. A zeroing runs in place too.
  @Test func inPlaceWorkRunsFirst() {
    var t = TapdiskThread()
    t.completed(1)
    t.completed(2)
    #expect(t.next(at: .zero) == .collect(1))
    t.take(7)  // not handling: after the collections
    t.handling = true
    t.take(5)  // in place
    t.handling = false
    #expect(t.next(at: .zero) == .engineCall(5))
    t.punchNext(5)
    #expect(t.next(at: .zero) == .punch(5))
    #expect(t.next(at: .zero) == .collect(2))
    #expect(t.next(at: .zero) == .engineCall(7))
    #expect(t.next(at: .zero) == nil)
  }

  func trace(ioDepth: Int, baseFill: Double, perIO: SimTime, perSubmit: SimTime = .zero) throws
    -> [TraceRecord]
  {
    let disk = DiskProfile(
      name: "nvme", model: SSDModel.nvmeDatacenter, variability: false,
      engineCPU: EngineCPUCost(
        perRequest: .microseconds(3), perLevel: .zero, perIO: perIO, perSubmit: perSubmit))
    let scenario = PoolScenario(
      chain: ChainSpec(depth: 1, virtualSize: 64 << 20, baseFill: baseFill, writesPerSnapshot: 0, seed: 3),
      workload: WorkloadSpec(readFraction: 0.7, arrivals: .closedLoop(ioDepth: ioDepth)), disk: disk,
      duration: .milliseconds(20), recordTrace: true)
    return try scenario.run().trace
  }

  /// At iodepth 1 the thread is free whenever an I/O completes: each I/O is in flight exactly its
  /// service time, and every request's I/Os are timed (a full base: no zeroing; an engine I/O that
  /// crosses an SR extent is two device I/Os).
  @Test func atDepthOneInFlightIsTheServiceTime() throws {
    let records = try trace(ioDepth: 1, baseFill: 1, perIO: .microseconds(7))
    #expect(records.count > 50)
    for r in records {
      #expect(r.io.inFlight == r.serviceTime, "\(r)")
      #expect(r.io.count >= r.iosByKind.reduce(0, +), "\(r)")
    }
  }

  /// At iodepth 8 an I/O completed while the thread is busy waits to be collected, and one queued
  /// in a turn waits for the turn's submission: in flight at least its service time, and by
  /// Little's law never more than the 8 requests outstanding. Zeroings (a sparse base) are made in
  /// place and not timed.
  @Test func atDepthEightInFlightCoversServiceAndWaits() throws {
    let records = try trace(ioDepth: 8, baseFill: 0.5, perIO: .microseconds(7))
    #expect(records.count > 200)
    var waited = 0
    for r in records {
      #expect(r.io.inFlight >= r.serviceTime || r.io.count < r.iosByKind.reduce(0, +), "\(r)")
      if r.io.inFlight > r.serviceTime { waited += 1 }
    }
    #expect(waited > 0)
    // Some requests allocated a block: their zeroing was not timed.
    #expect(records.contains { $0.io.count < $0.iosByKind.reduce(0, +) })
    let first = records.map(\.issued).min()!
    let last = records.map(\.completed).max()!
    let inFlight = records.reduce(0.0) { $0 + $1.io.inFlight.seconds } / (last - first).seconds
    #expect(inFlight > 1 && inFlight <= 8)
  }

  /// The thread's time in `io_submit` holds back the I/Os submitted after it and the completions:
  /// at iodepth 1 nothing waits behind a submission shorter than the I/O (a calibrated I/O's latency
  /// holds its own submission; the preset's writes take 20 µs), so it changes no latency; at
  /// iodepth 8, 50 µs a submission caps the thread at one I/O per 50 µs.
  @Test func submissionTimeHoldsTheThread() throws {
    let plain = try trace(ioDepth: 1, baseFill: 1, perIO: .microseconds(7))
    let submitting = try trace(ioDepth: 1, baseFill: 1, perIO: .microseconds(7), perSubmit: .microseconds(15))
    // The same requests at the same times; only the thread's recorded time in io_submit differs.
    #expect(plain.count > 50 && plain.map(\.io.submit).allSatisfy { $0 == .zero })
    #expect(
      plain
        == submitting.map {
          var r = $0
          r.io.submit = .zero
          return r
        })
    #expect(submitting.allSatisfy { $0.io.submit == .microseconds(15) * $0.io.count })
    func ios(_ records: [TraceRecord]) -> Int { records.reduce(0) { $0 + $1.io.count } }
    let fast = try trace(ioDepth: 8, baseFill: 1, perIO: .zero, perSubmit: .microseconds(1))
    let slow = try trace(ioDepth: 8, baseFill: 1, perIO: .zero, perSubmit: .microseconds(50))
    // 20 ms at one submission per 50 µs: at most 400 I/Os (and 8 begun before the first).
    #expect(ios(slow) <= 408 && ios(slow) > 300)
    #expect(ios(fast) > 2 * ios(slow))
  }

  /// 10 µs per I/O; the submitter stays in io_submit 40 µs for each aligned write into a hole (as
  /// ext4 keeps it: the allocation under the inode lock), not for anything else.
  struct AllocatingDisk: DiskModel {
    var parallelism: Int { 64 }
    var capacityBytes: UInt64 = 1 << 40
    var timesIOsAsTheyStart: Bool { true }
    mutating func serviceTime(_ ops: UnsafeBufferPointer<DiskOp>, at now: SimTime) -> SimTime {
      .microseconds(10 * ops.count)
    }
    mutating func reseed(_ seed: UInt64) {}
    var deterministic: AllocatingDisk { self }
    func submitterHeld(_ op: DiskOp, service: SimTime, at now: SimTime) -> SimTime {
      op.space == .allocates && op.length % 4096 == 0 && op.offset % 4096 == 0 ? .microseconds(40) : .zero
    }
  }

  /// What the disk says a submission holds, the thread spends in io_submit: at iodepth 8 on a
  /// half-written base, each request records 1 µs per I/O (the per-submission time) and 39 µs more
  /// per aligned write into a hole (`DiskModel.submitterHeld`, docs/simulation.md#file-system-allocation);
  /// reads none beyond the 1 µs, and some writes the 40.
  @Test func aSubmissionTheDiskHoldsKeepsTheThread() throws {
    let disk = DiskProfile(
      name: "allocating", model: AllocatingDisk(), variability: false,
      engineCPU: EngineCPUCost(perRequest: .zero, perLevel: .zero, perSubmit: .microseconds(1)))
    let scenario = PoolScenario(
      chain: ChainSpec(depth: 1, virtualSize: 64 << 20, baseFill: 0.5, writesPerSnapshot: 0, seed: 3),
      workload: WorkloadSpec(readFraction: 0.5, arrivals: .closedLoop(ioDepth: 8)), disk: disk,
      duration: .milliseconds(20), recordTrace: true)
    let records = try scenario.run().trace
    #expect(records.contains { $0.isWrite } && records.contains { !$0.isWrite })
    var allocating = 0
    for r in records {
      let beyond = r.io.submit - .microseconds(1) * r.io.count
      #expect(beyond.nanoseconds % 39_000 == 0 && beyond >= .zero, "\(r)")
      if !r.isWrite { #expect(beyond == .zero, "\(r)") }
      allocating += Int(beyond.nanoseconds / 39_000)
    }
    #expect(allocating > 50)
  }

  /// Logs when each I/O reached the device: 50 µs each, whatever else is in flight.
  final class Dispatches: @unchecked Sendable { var at: [SimTime] = [] }
  struct DispatchLog: DiskModel {
    var log: Dispatches
    var parallelism: Int { 64 }
    var capacityBytes: UInt64 = 1 << 40
    var timesIOsAsTheyStart: Bool { true }
    mutating func serviceTime(_ ops: UnsafeBufferPointer<DiskOp>, at now: SimTime) -> SimTime {
      log.at.append(now)
      return .microseconds(50 * ops.count)
    }
    mutating func reseed(_ seed: UInt64) {}
    var deterministic: DispatchLog { self }
  }

  /// With 5 µs a submission, I/Os submitted one or two a call reach the device 5 µs apart; at
  /// iodepth 8 the turns submit more at once, and those reach the device together at the end of
  /// the call (the plug), several at one instant.
  @Test func aPluggedSubmissionReachesTheDeviceAtItsEnd() throws {
    func dispatches(ioDepth: Int) throws -> [SimTime: Int] {
      let log = Dispatches()
      let disk = DiskProfile(
        name: "log", model: DispatchLog(log: log), variability: false,
        engineCPU: EngineCPUCost(perRequest: .zero, perLevel: .zero, perSubmit: .microseconds(5)))
      let scenario = PoolScenario(
        chain: ChainSpec(depth: 1, virtualSize: 64 << 20, baseFill: 1, writesPerSnapshot: 0, seed: 3),
        workload: WorkloadSpec(readFraction: 1, arrivals: .closedLoop(ioDepth: ioDepth)), disk: disk,
        duration: .milliseconds(5), recordTrace: true)
      _ = try scenario.run()
      return log.at.reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }
    let two = try dispatches(ioDepth: 2)
    #expect(two.count > 100 && two.values.allSatisfy { $0 == 1 })
    let eight = try dispatches(ioDepth: 8)
    #expect(eight.values.contains { $0 >= 3 })
    #expect(eight.values.reduce(0, +) > 500)
  }
}

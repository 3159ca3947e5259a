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
      #expect(r.inFlightTime == r.serviceTime, "\(r)")
      #expect(r.iosInFlight >= r.iosByKind.reduce(0, +), "\(r)")
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
      #expect(r.inFlightTime >= r.serviceTime || r.iosInFlight < r.iosByKind.reduce(0, +), "\(r)")
      if r.inFlightTime > r.serviceTime { waited += 1 }
    }
    #expect(waited > 0)
    // Some requests allocated a block: their zeroing was not timed.
    #expect(records.contains { $0.iosInFlight < $0.iosByKind.reduce(0, +) })
    let first = records.map(\.issued).min()!
    let last = records.map(\.completed).max()!
    let inFlight = records.reduce(0.0) { $0 + $1.inFlightTime.seconds } / (last - first).seconds
    #expect(inFlight > 1 && inFlight <= 8)
  }

  /// The thread's time in `io_submit` holds back the I/Os submitted after it and the completions:
  /// at iodepth 1 nothing waits behind a submission shorter than the I/O (a calibrated I/O's latency
  /// holds its own submission; the preset's writes take 20 µs), so it changes no latency; at
  /// iodepth 8, 50 µs a submission caps the thread at one I/O per 50 µs.
  @Test func submissionTimeHoldsTheThread() throws {
    let plain = try trace(ioDepth: 1, baseFill: 1, perIO: .microseconds(7))
    let submitting = try trace(ioDepth: 1, baseFill: 1, perIO: .microseconds(7), perSubmit: .microseconds(15))
    #expect(plain.count > 50 && plain == submitting)
    func ios(_ records: [TraceRecord]) -> Int { records.reduce(0) { $0 + $1.iosInFlight } }
    let fast = try trace(ioDepth: 8, baseFill: 1, perIO: .zero, perSubmit: .microseconds(1))
    let slow = try trace(ioDepth: 8, baseFill: 1, perIO: .zero, perSubmit: .microseconds(50))
    // 20 ms at one submission per 50 µs: at most 400 I/Os (and 8 begun before the first).
    #expect(ios(slow) <= 408 && ios(slow) > 300)
    #expect(ios(fast) > 2 * ios(slow))
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import Simulation
import Testing

/// docs/simulation.md#queue-depth-scaling: the pool asks a model whose latency depends on what is in
/// flight for one I/O at a time, each when the one before it ends; other models for a request's I/Os
/// at once. A model whose answer does not depend on it gives the same run either way.
@Suite struct DiskIOTimingTests {
  /// The calls a `LoggingDisk` got: (when, how many I/Os).
  final class Calls: @unchecked Sendable {
    var log: [(at: SimTime, ios: Int)] = []
    /// When each call of one unaligned op into a hole (a 512-byte bitmap write) began.
    var unaligned: [SimTime] = []
  }

  /// 10 µs per I/O (25 µs an unaligned one), whatever else is in flight, logging every call.
  struct LoggingDisk: DiskModel {
    var timesIOsAsTheyStart: Bool
    var calls: Calls
    /// Whether an unaligned op (a 512-byte bitmap write) keeps the submitter waiting.
    var unalignedBlocks = false
    var parallelism: Int { 64 }
    var capacityBytes: UInt64 = 1 << 40
    mutating func serviceTime(_ ops: UnsafeBufferPointer<DiskOp>, at now: SimTime) -> SimTime {
      calls.log.append((now, ops.count))
      if ops.count == 1 && Self.blocks(ops[0]) { calls.unaligned.append(now) }
      return .microseconds(ops.reduce(0) { $0 + ($1.length % 4096 != 0 ? 25 : 10) })
    }
    mutating func reseed(_ seed: UInt64) {}
    var deterministic: LoggingDisk { self }
    func submitterHeld(_ op: DiskOp, service: SimTime, at now: SimTime) -> SimTime {
      unalignedBlocks && Self.blocks(op) ? service : .zero
    }
    /// An unaligned op that changes the file's space (a 512-byte bitmap or footer into a hole), as
    /// ext4 makes wait; an overwrite never waits, so it may sit in a plugged submission.
    static func blocks(_ op: DiskOp) -> Bool { op.length % 4096 != 0 && op.space != .none }
  }

  func run(stepping: Bool, unalignedBlocks: Bool = false, ioDepth: Int = 4) throws -> (
    calls: [(at: SimTime, ios: Int)], trace: [[Int64]], unaligned: [SimTime]
  ) {
    let calls = Calls()
    let model = LoggingDisk(timesIOsAsTheyStart: stepping, calls: calls, unalignedBlocks: unalignedBlocks)
    let disk = DiskProfile(name: "logging", model: model, variability: true)
    // An empty base: writes allocate blocks (several I/Os each), reads of unwritten sectors need none.
    let scenario = PoolScenario(
      chain: ChainSpec(depth: 1, virtualSize: 64 << 20, baseFill: 0, writesPerSnapshot: 0, seed: 3),
      workload: WorkloadSpec(readFraction: 0.3, arrivals: .closedLoop(ioDepth: ioDepth)), disk: disk,
      duration: .milliseconds(5), recordTrace: true)
    let trace = try scenario.run().trace.sorted { $0.issued < $1.issued }
    return (
      calls.log,
      trace.map { [$0.issued.nanoseconds, $0.completed.nanoseconds, Int64($0.iosByKind.reduce(0, +))] },
      calls.unaligned
    )
  }

  /// The calls that began while an unaligned op (begun at one of `unaligned`, 25 µs long) was
  /// being served.
  func callsDuringUnaligned(_ calls: [(at: SimTime, ios: Int)], _ unaligned: [SimTime]) -> Int {
    calls.filter { c in unaligned.contains { c.at > $0 && c.at < $0 + .microseconds(25) } }.count
  }

  /// docs/simulation.md#file-system-allocation: while an op that keeps tapdisk's thread in its system
  /// call is served (a 512-byte bitmap write here), the tapdisk submits nothing else; a model whose
  /// ops do not block serves other requests' I/O meanwhile.
  @Test func anOpThatBlocksItsSubmitterStopsTheTapdisk() throws {
    let blocked = try run(stepping: true, unalignedBlocks: true)
    let free = try run(stepping: true)
    #expect(blocked.unaligned.count > 50 && free.unaligned.count > 50)
    #expect(callsDuringUnaligned(blocked.calls, blocked.unaligned) == 0)
    #expect(callsDuringUnaligned(free.calls, free.unaligned) > 10)
    // Fewer requests complete in the same time when the thread waits.
    #expect(blocked.trace.count < free.trace.count)
  }

  @Test func aStatefulModelIsAskedOneIOAtATime() throws {
    let whole = try run(stepping: false)
    let stepped = try run(stepping: true)
    // Requests of several I/Os were made, and asked for at once by the plain path.
    #expect(whole.trace.contains { $0[2] > 2 })
    #expect(whole.calls.contains { $0.ios > 2 })
    // The stepping path asks for exactly one I/O each time.
    #expect(stepped.calls.allSatisfy { $0.ios == 1 })
    // At least once per I/O of every completed request (a request still in service at the end may
    // have been asked for part of its I/Os).
    let completedIOs = Int(stepped.trace.reduce(0) { $0 + $1[2] })
    #expect(stepped.calls.count >= completedIOs && whole.calls.count < completedIOs)
    // A request's later I/Os are asked for when the one before ends.
    #expect(Set(stepped.calls.map(\.at)).count > Set(whole.calls.map(\.at)).count)
    #expect(stepped.trace.count > 100)
    // With no dependence on what is in flight, both give the same run at iodepth 1. (At 4 they
    // differ: stepping, guest I/O goes through the tapdisk's thread in turns, whose zeroings are
    // made in place and hold back the other requests' I/O, docs/simulation.md#the-tapdisk-thread-in-turns.)
    let wholeOne = try run(stepping: false, ioDepth: 1)
    let steppedOne = try run(stepping: true, ioDepth: 1)
    #expect(steppedOne.trace == wholeOne.trace)
    #expect(steppedOne.trace.count > 50 && steppedOne.trace.contains { $0[2] > 2 })
  }
}

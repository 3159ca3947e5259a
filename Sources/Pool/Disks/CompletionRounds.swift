// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// A device that completes what it holds in rounds (docs/simulation.md#completion-rounds): an I/O
/// that reaches it idle opens a round, every I/O that reaches it before the round ends joins it and
/// lengthens it to its new size, and when it ends all its I/Os complete together, so the submitter's
/// `io_getevents` collects them in one call.
///
/// Measured, not assumed: on this project's development VM (a virtio disk) the validation's loop,
/// which serves requests as tapdisk does, collected 6.6 to 7.1 of its 8 I/Os per `io_getevents` at
/// iodepth 8, where a device completing each I/O on its own, as fast as fio's streaming jobs say,
/// hands them back one or two at a time. A round's time comes from fio run the way the loop runs
/// (`iodepth_batch_submit` and `iodepth_batch_complete_min` at the depth: each batch submitted in one
/// call and collected whole), as `batch_scaling`. That a late I/O joins the round in service rather
/// than waiting for the next is what a back end that serves its queue until it is empty and then
/// signals once does; it is not measured apart.
struct CompletionRounds: Sendable {
  /// The round in service (or the last one): when it opened, its draw, its I/Os, writes and largest
  /// I/O, its write stall, and when the bus is done with its transfers.
  private(set) var opened = SimTime(nanoseconds: -1)
  private(set) var u = 0.0
  private(set) var count = 0
  private(set) var writes = 0
  private(set) var largest: UInt64 = 0
  /// Its largest write into a file hole (0: none), whose time after its allocation may exceed a
  /// plain write's.
  private(set) var largestAllocating: UInt64 = 0
  var stall = SimTime.zero
  var busEnd = SimTime.zero
  /// When it ends as it stands (later I/Os may lengthen it).
  var end = SimTime(nanoseconds: -1)
  /// Rounds opened so far: a new number tells the disk the round before has ended.
  private(set) var serial = 0

  /// Whether an I/O ready at `t` finds no round in service.
  func isIdle(at t: SimTime) -> Bool { t >= end }

  /// Opens a round at `t` with draw `u` (the caller then adds its first I/O).
  mutating func open(at t: SimTime, u: Double) {
    opened = t
    self.u = u
    count = 0
    writes = 0
    largest = 0
    largestAllocating = 0
    stall = .zero
    busEnd = t
    serial += 1
  }

  /// `op` joins the round in service; true when it is the round's first write.
  mutating func add(_ op: DiskOp) -> Bool {
    count += 1
    largest = Swift.max(largest, op.length)
    guard op.isWrite else { return false }
    if op.space == .allocates { largestAllocating = Swift.max(largestAllocating, op.length) }
    writes += 1
    return writes == 1
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// A device that completes what it holds in rounds (docs/simulation.md#completion-rounds): the I/Os
/// that reach it while it is idle open a round, those that reach it during a round are held and
/// start the next one together when it ends, and every I/O of a round completes at the round's end,
/// so the submitter's `io_getevents` collects them in one call.
///
/// Measured, not assumed: on this project's development VM (a virtio disk) the validation's loop,
/// which serves requests as tapdisk does, collected 6.7 to 7.1 of its 8 I/Os per `io_getevents` at
/// iodepth 8, where a device completing each I/O on its own, as fast as fio's streaming jobs say,
/// hands them back one or two at a time. A round's time comes from fio run the same way as the loop
/// (`iodepth_batch_submit` and `iodepth_batch_complete_min` at the depth: each batch submitted in one
/// call and collected whole), as `batch_scaling`.
///
/// A round opened at an idle device knows its size: the burst that opened it (`arriveTogether`), or
/// the one I/O; a single I/O reaching it at that same instant joins it at its time. A held round's
/// size is known when it starts (`startHeld`).
struct CompletionRounds: Sendable {
  /// The round in service (or the last one).
  private(set) var opened = SimTime(nanoseconds: -1)
  private(set) var end = SimTime(nanoseconds: -1)
  /// The I/Os held for the next round, in arrival order.
  private(set) var held: [DiskOp] = []

  init() {
    held.reserveCapacity(64)
  }

  /// Where an I/O ready at `t` goes.
  enum Place: Equatable {
    /// The round opened at this instant: it completes at that round's end.
    case joins(end: SimTime)
    /// Held for the next round (one is in service, or a held round starts at `t`).
    case held
    /// The device is idle: it opens a round (`open`).
    case opens
  }

  /// Where `op`, ready at `t`, goes; a held one is kept for `startHeld`.
  mutating func place(_ op: DiskOp, at t: SimTime) -> Place {
    if t == opened && held.isEmpty { return .joins(end: end) }
    if t < end || !held.isEmpty {
      held.append(op)
      return .held
    }
    return .opens
  }

  /// A round opens at `t` at an idle device and ends at `end`.
  mutating func open(at t: SimTime, end: SimTime) {
    opened = t
    self.end = end
  }

  /// The held I/Os have started a round at `now` (the one before has ended), ending at `end`.
  mutating func startHeld(at now: SimTime, end: SimTime) {
    opened = now
    self.end = end
    held.removeAll(keepingCapacity: true)
  }
}

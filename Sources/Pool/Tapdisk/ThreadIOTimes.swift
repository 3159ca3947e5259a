// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// A guest request's device I/Os as its tapdisk's thread handled them, the figures the validation
/// sets beside its real loop's (docs/simulation.md#the-tapdisk-thread-in-turns).
public struct ThreadIOTimes: Sendable, Equatable {
  /// The I/Os' time in flight, summed, and how many: through the thread in turns, the asynchronous
  /// ones (zeroings are made in place), each from the `io_submit` that took it to the
  /// `io_getevents` that collected it, as the real loop times them; otherwise every device I/O's
  /// service time.
  public var inFlight = SimTime.zero
  public var count = 0
  /// Through the thread in turns: its time in `io_submit` for them (the waits the file system makes
  /// included), and in the request's zeroings, made in place; zero otherwise.
  public var submit = SimTime.zero
  public var zeroing = SimTime.zero

  public init() {}
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// The times of one request slot on its way through the pool: issue, a paused tapdisk's hold, the
/// disk FIFO and service. A plain value kept inline in `RequestSlot`, so the hot path still allocates
/// nothing.
struct RequestTiming {
  var issued = SimTime.zero
  /// When a paused tapdisk started holding it (`.min`: never held) and for how long it was held.
  var heldSince = SimTime.min
  var stall = SimTime.zero
  /// When it joined the disk FIFO, and the service time the disk model gave it.
  var diskArrived = SimTime.zero
  var serviceTime = SimTime.zero
  /// Through a tapdisk's thread in turns: when the `io_submit` that took its current I/O began (its
  /// time in flight is counted from there).
  var submitted = SimTime.zero
  /// Its I/Os as the thread handled them (in flight, in `io_submit`, zeroing).
  var io = ThreadIOTimes()
}

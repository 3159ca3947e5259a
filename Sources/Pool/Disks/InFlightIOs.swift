// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// The device I/Os in flight, as [start, end) intervals: how many overlap a time, and how many of
/// those are writes (the mix a mixed queue-depth curve needs). An I/O's interval may begin after the
/// time it is asked for (it waits for a file's lock, or a request's I/Os are asked for together);
/// counting by interval rather than by a running total sees it where it will be. Intervals that ended
/// before the current service start are dropped, so the list stays as long as the I/Os outstanding.
struct InFlightIOs: Sendable, Equatable {
  private var starts: [Int64] = []
  private var ends: [Int64] = []
  private var isWrite: [Bool] = []

  /// I/Os in flight at `t`, and the writes among them, after forgetting those ended by `now`.
  mutating func count(at t: SimTime, now: SimTime) -> (all: Int, writes: Int) {
    var i = 0
    while i < ends.count {
      if ends[i] <= now.nanoseconds {
        starts.swapAt(i, starts.count - 1)
        ends.swapAt(i, ends.count - 1)
        isWrite.swapAt(i, isWrite.count - 1)
        starts.removeLast()
        ends.removeLast()
        isWrite.removeLast()
      } else {
        i += 1
      }
    }
    var n = 0
    var writes = 0
    for k in 0..<starts.count where starts[k] <= t.nanoseconds && t.nanoseconds < ends[k] {
      n += 1
      if isWrite[k] { writes += 1 }
    }
    return (n, writes)
  }

  mutating func add(from start: SimTime, to end: SimTime, isWrite write: Bool) {
    if starts.capacity == 0 {
      starts.reserveCapacity(64)
      ends.reserveCapacity(64)
      isWrite.reserveCapacity(64)
    }
    starts.append(start.nanoseconds)
    ends.append(end.nanoseconds)
    isWrite.append(write)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// A shared transfer path (an SSD's host interface, an iSCSI link) as a calendar of reserved intervals.
///
/// Service times are computed when a request starts, so a request's later I/Os reserve the bus in the
/// future. A single "bus free at" time would make every other request queue behind all of them and
/// serialise whole requests; the calendar instead puts each transfer in the first gap long enough for
/// it at or after the time it is ready, so transfers of concurrent requests interleave as on the real
/// bus and the aggregate never exceeds the bandwidth. Adjacent reservations are merged, and intervals
/// that ended before the current service start are dropped, so the calendar stays about as long as the
/// number of outstanding transfers.
public struct BusCalendar: Sendable, Equatable {
  /// Disjoint, sorted by start: [start, end) in nanoseconds.
  private var starts: [Int64] = []
  private var ends: [Int64] = []
  /// Index of the first live interval; the ones before it have ended (compacted in bulk, not per call).
  private var head = 0

  public init() {}

  public var reservations: Int { starts.count - head }

  /// The first time at or after `ready` that no reservation covers.
  public func firstFree(at ready: SimTime) -> SimTime {
    let t = ready.nanoseconds
    var i = head
    while i < ends.count && ends[i] <= t { i += 1 }
    // Touching reservations are merged, so the end of the one covering `t` is free.
    if i < starts.count && starts[i] <= t { return SimTime(nanoseconds: ends[i]) }
    return ready
  }

  /// Reserves `duration` ns at the first free time ≥ `ready`; returns when the transfer ends. `now` (the
  /// service start, never decreasing) lets the calendar forget the past.
  public mutating func reserve(ready: SimTime, duration: Int64, now: SimTime) -> SimTime {
    if duration <= 0 { return ready }
    while head < ends.count && ends[head] <= now.nanoseconds { head += 1 }
    if head > 32 && head * 2 > starts.count {
      starts.removeFirst(head)
      ends.removeFirst(head)
      head = 0
    }
    var t = ready.nanoseconds
    // Skip intervals that end before we are ready: the intervals are disjoint and sorted, so their
    // ends are too, and a binary search finds the first that ends later (a request of thousands of
    // I/Os, such as a GC pass's metadata reads, reserves each after the last it made).
    // A run of sequential I/Os is ready after everything reserved: no search then.
    var i = head == ends.count || ends[ends.count - 1] <= t ? ends.count : firstEnding(after: t)
    // Find a gap: before interval i starts, from t, long enough.
    while i < starts.count {
      if starts[i] >= t + duration { break }
      t = Swift.max(t, ends[i])
      i += 1
    }
    let end = t + duration
    // Insert [t, end) before index i, merging with neighbours that touch it.
    let touchesPrevious = i > head && ends[i - 1] == t
    let touchesNext = i < starts.count && starts[i] == end
    switch (touchesPrevious, touchesNext) {
    case (true, true):
      ends[i - 1] = ends[i]
      starts.remove(at: i)
      ends.remove(at: i)
    case (true, false): ends[i - 1] = end
    case (false, true): starts[i] = t
    case (false, false) where i == starts.count:
      // The common case (a transfer after everything reserved): `insert(at: count)` goes through the
      // generic `replaceSubrange`, several times the cost of an append.
      starts.append(t)
      ends.append(end)
    case (false, false):
      starts.insert(t, at: i)
      ends.insert(end, at: i)
    }
    return SimTime(nanoseconds: end)
  }

  /// Index of the first live interval that ends after `t` (`ends.count` when none does).
  private func firstEnding(after t: Int64) -> Int {
    var lo = head
    var hi = ends.count
    while lo < hi {
      let mid = (lo + hi) >> 1
      if ends[mid] <= t { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }
}

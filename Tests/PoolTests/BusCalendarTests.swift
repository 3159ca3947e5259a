// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import Testing

@testable import Pool

/// The calendar's first-fit reservations against a plain list of every reservation ever made
/// (no merging, no forgetting, linear search): the same end time for every transfer.
@Suite struct BusCalendarTests {
  /// First free time ≥ `ready` with `duration` free after it, over the raw list (sorted by start).
  static func firstFit(_ taken: [(Int64, Int64)], ready: Int64, duration: Int64) -> Int64 {
    var t = ready
    for (s, e) in taken where e > t {
      if s >= t + duration { break }
      t = max(t, e)
    }
    return t
  }

  @Test func reservationsMatchFirstFitOverEveryInterval() {
    var random = SplitMix64(seed: 11)
    var calendar = BusCalendar()
    var taken: [(Int64, Int64)] = []
    var now: Int64 = 0
    for k in 0..<1500 {
      // Service starts never go back; a request's I/Os are ready later and later (as a GC pass's
      // thousands of reads are), other requests' at random times ahead.
      if k % 50 == 0 { now += Int64(random.next() % 20_000) }
      let ready = now + Int64(random.next() % 100_000)
      let duration = Int64(1 + random.next() % 5_000)
      let start = Self.firstFit(taken, ready: ready, duration: duration)
      let end = calendar.reserve(
        ready: SimTime(nanoseconds: ready), duration: duration, now: SimTime(nanoseconds: now))
      #expect(end.nanoseconds == start + duration)
      taken.insert((start, start + duration), at: taken.firstIndex { $0.0 > start } ?? taken.count)
    }
    #expect(calendar.reservations > 0)
  }
}

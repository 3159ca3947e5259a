// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// How a driver (the pool's VM, a CLI summary) should pace a generator.
public enum LoopKind: Hashable, Sendable {
  /// `ioDepth` requests outstanding: the driver calls `next(now:)` once per free slot, at start and on
  /// each completion; the request's `time` is `now` plus any think time.
  case closed(ioDepth: Int)
  /// Arrivals independent of completions: the driver calls `next(now:)` again as soon as it has
  /// scheduled the previous request, and each request's `time` says when it arrives.
  case open
}

/// A source of guest requests that a simulation driver can pull from.
///
/// The protocol is deliberately tiny so that `Pool` (or anything else) can adopt any generator — a
/// synthetic mix, the fragmenting writer, a trace replay — without knowing which it is. Implementations
/// must not allocate per request: they return a value and keep their state in preallocated storage.
public protocol RequestGenerator {
  /// Whether requests follow completions or their own arrival times.
  var loop: LoopKind { get }

  /// The next request, or nil when the stream is exhausted.
  ///
  /// Closed loop: called when a slot frees at `now`; the request is issued at `time ≥ now`.
  /// Open loop: `now` is the time of the previous arrival (or the start); `time` is the next arrival.
  mutating func next(now: SimTime) -> GuestRequest?
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// A model the kernel drives: it owns all state and reacts to its own events.
///
/// `Event` is normally an enum whose cases carry the few values a handler needs (a process id, a request
/// index). The kernel stores events by value and dispatches by calling `handle`, which `switch`es on the
/// case: no closure and no heap allocation per event, unlike callback kernels.
public protocol SimulationModel<Event> {
  associatedtype Event

  /// Reacts to `event`, due now (`time == sim.now`); may schedule or cancel events and call `sim.stop()`.
  mutating func handle(_ event: Event, at time: SimTime, sim: inout Simulator<Event>)
}

/// The discrete-event kernel: a clock plus the future-event set.
///
/// A value type the model receives `inout` while handling an event, so model and kernel state live in plain
/// structs with no reference counting on the hot path. Generic code is `@inlinable` so that models in other
/// modules get a specialised loop.
public struct Simulator<Event> {
  @usableFromInline var queue: EventQueue<Event>
  @usableFromInline var currentTime: SimTime
  @usableFromInline var processed: Int = 0
  @usableFromInline var stopRequested = false

  /// Why a call to `run` returned.
  public enum Outcome: Sendable, Equatable {
    /// No events were left.
    case exhausted
    /// The next event is due after the `until` limit (the clock now reads the limit).
    case reachedLimit
    /// A handler called `stop()`.
    case stopped
  }

  /// - Parameter capacity: pending events to reserve room for; within it, scheduling never allocates.
  @inlinable
  public init(capacity: Int = 1_024, start: SimTime = .zero) {
    queue = EventQueue(capacity: capacity)
    currentTime = start
  }

  /// The simulated clock: the time of the event being handled (or of the last one).
  @inlinable public var now: SimTime { currentTime }
  /// Events handled so far.
  @inlinable public var eventsProcessed: Int { processed }
  @inlinable public var pendingCount: Int { queue.count }
  /// When the next event is due, if any.
  @inlinable public var nextEventTime: SimTime? { queue.minTime }

  @inlinable
  public mutating func reserveCapacity(_ n: Int) {
    queue.reserveCapacity(n)
  }

  /// Schedules `event` at absolute time `time`, which must not be in the past.
  @inlinable
  @discardableResult
  public mutating func schedule(_ event: Event, at time: SimTime) -> EventHandle {
    precondition(time >= currentTime, "cannot schedule an event in the past")
    return queue.insert(event, at: time)
  }

  /// Schedules `event` after a non-negative `delay` (a timer). A zero delay runs it after every event
  /// already scheduled for now.
  @inlinable
  @discardableResult
  public mutating func schedule(_ event: Event, after delay: SimTime) -> EventHandle {
    precondition(delay.nanoseconds >= 0, "negative delay")
    return queue.insert(event, at: currentTime + delay)
  }

  /// Cancels a pending event; false (and no effect) if it already fired or was cancelled.
  @inlinable
  @discardableResult
  public mutating func cancel(_ handle: EventHandle) -> Bool {
    queue.cancel(handle) != nil
  }

  @inlinable public func isPending(_ handle: EventHandle) -> Bool { queue.contains(handle) }
  @inlinable public func scheduledTime(of handle: EventHandle) -> SimTime? { queue.time(of: handle) }

  /// Asks `run` to return after the current handler.
  @inlinable
  public mutating func stop() {
    stopRequested = true
  }

  /// Handles the next event, if any. Returns false when none was pending.
  @inlinable
  @discardableResult
  public mutating func step<Model: SimulationModel>(_ model: inout Model) -> Bool
  where Model.Event == Event {
    guard let (time, event) = queue.popMin() else { return false }
    currentTime = time
    processed &+= 1
    model.handle(event, at: time, sim: &self)
    return true
  }

  /// Handles events in (time, insertion) order until none is left, the next is due after `limit`, or a
  /// handler calls `stop()`. With a finite limit the clock then reads `limit` (as in SimPy), so time
  /// integrals can be closed at exactly that instant.
  @inlinable
  @discardableResult
  public mutating func run<Model: SimulationModel>(_ model: inout Model, until limit: SimTime = .max)
    -> Outcome
  where Model.Event == Event {
    stopRequested = false
    while let (time, event) = queue.popMin(notAfter: limit) {
      currentTime = time
      processed &+= 1
      model.handle(event, at: time, sim: &self)
      if stopRequested {
        stopRequested = false
        return .stopped
      }
    }
    if limit != .max && currentTime < limit {
      currentTime = limit
    }
    return queue.isEmpty ? .exhausted : .reachedLimit
  }
}

extension Simulator: Sendable where Event: Sendable {}

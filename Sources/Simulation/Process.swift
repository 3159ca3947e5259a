// SPDX-License-Identifier: GPL-3.0-or-later

// # Processes as explicit state machines
//
// SimPy writes a process as a generator that `yield`s until an event wakes it. Here a process is a plain
// struct with a `state` enum saying what it is waiting for, kept in an array inside the model. Every event
// that concerns a process carries its `ProcessID`; the model's `handle` looks the process up and switches on
// (event, state) to run the next step, which ends by scheduling the event the process waits for next.
// That is exactly a resumed coroutine, minus the stack: no allocation, no closure, and the whole state is
// inspectable (and hashable for determinism checks).
//
//     enum Event { case wake(ProcessID), granted(ProcessID), done(ProcessID), timeout(ProcessID) }
//
//     struct Client {
//       enum State { case thinking, waitingForDisk, inService }
//       var state = State.thinking
//       var timeout = SimTimer()        // a pending "give up" timer, cancelled when the disk is granted
//     }
//
//     struct Model: SimulationModel {
//       var clients: [Client]
//       var disk = FIFOResource<ProcessID>(capacity: 4)
//
//       mutating func handle(_ event: Event, at now: SimTime, sim: inout Simulator<Event>) {
//         switch event {
//         case .wake(let p):                                   // thinking → waiting (or straight to service)
//           if disk.request(p, at: now) { startService(p, &sim) } else {
//             clients[p.index].state = .waitingForDisk
//             clients[p.index].timeout.arm(.timeout(p), after: .milliseconds(50), in: &sim)
//           }
//         case .granted(let p):                                // a release handed the disk to p
//           clients[p.index].timeout.disarm(in: &sim)
//           startService(p, &sim)
//         case .done(let p):                                   // service over → back to thinking
//           disk.release(in: &sim) { .granted($0) }
//           clients[p.index].state = .thinking
//           sim.schedule(.wake(p), after: .milliseconds(10))
//         case .timeout(let p):                                // gave up waiting
//           _ = disk.withdraw(at: now) { $0 == p }
//           ...
//         }
//       }
//     }
//
// A process that waits for one of several things (grant or timeout) cancels the loser with its handle:
// handles are generation-checked, so cancelling a timer that already fired is a no-op.
// SimulationTests/ProcessPatternTests.swift runs this pattern end to end.

/// Identifies a process (an entry in a model's process table) inside events.
public struct ProcessID: Hashable, Comparable, Sendable, CustomStringConvertible {
  public var rawValue: Int32

  @inlinable public init(_ index: Int) { rawValue = Int32(index) }

  /// The index into the model's process array.
  @inlinable public var index: Int { Int(rawValue) }

  @inlinable public static func < (a: ProcessID, b: ProcessID) -> Bool { a.rawValue < b.rawValue }
  public var description: String { "p\(rawValue)" }
}

/// A restartable one-shot timer: remembers the handle of its pending event so it can be cancelled or
/// re-armed. Costs nothing beyond the event itself; a fired timer needs no reset, because its stale handle
/// no longer names a pending event.
public struct SimTimer: Hashable, Sendable {
  @usableFromInline var pending: EventHandle = .invalid

  @inlinable public init() {}

  /// The handle of the latest expiry (stale once it fired or was cancelled).
  @inlinable public var handle: EventHandle { pending }

  /// Schedules `event` after `delay`, cancelling any earlier pending expiry of this timer.
  @inlinable
  public mutating func arm<Event>(_ event: Event, after delay: SimTime, in sim: inout Simulator<Event>) {
    sim.cancel(pending)
    pending = sim.schedule(event, after: delay)
  }

  /// Schedules `event` at absolute `time`, cancelling any earlier pending expiry of this timer.
  @inlinable
  public mutating func arm<Event>(_ event: Event, at time: SimTime, in sim: inout Simulator<Event>) {
    sim.cancel(pending)
    pending = sim.schedule(event, at: time)
  }

  /// Cancels the pending expiry; false if the timer was not armed (or already fired).
  @inlinable
  @discardableResult
  public mutating func disarm<Event>(in sim: inout Simulator<Event>) -> Bool {
    defer { pending = .invalid }
    return sim.cancel(pending)
  }

  @inlinable
  public func isArmed<Event>(in sim: Simulator<Event>) -> Bool {
    sim.isPending(pending)
  }
}

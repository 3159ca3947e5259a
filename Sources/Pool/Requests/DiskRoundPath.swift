// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// Where the disk completes in rounds (docs/simulation.md#completion-rounds), every I/O joins the
/// disk's round in service, one event ends the round (moved later as I/Os join and lengthen it), and
/// its I/Os complete together then.
enum DiskRoundPath {
  /// Request `s`'s I/O reached the disk now: its completion is scheduled `t` later, or, in a round,
  /// when the round ends.
  static func dispatched(
    _ s: Int32, taking t: SimTime, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>
  ) {
    guard t == SimulatedDisk.heldForRound else {
      sim.schedule(ioEvent(s, pool), after: t)
      return
    }
    let round = pool.disk.hold(s, at: sim.now)
    if let due = round.endedAt { complete(at: due, &pool, &sim) }
    if let h = pool.disk.roundEvent {
      if sim.scheduledTime(of: h) == round.end { return }
      _ = sim.cancel(h)
    }
    pool.disk.roundEvent = sim.schedule(.diskRound, at: round.end)
  }

  /// The round in service ends: its I/Os complete now.
  static func roundEnded(_ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    pool.disk.roundEvent = nil
    pool.disk.endRound()
    complete(at: sim.now, &pool, &sim)
  }

  /// The I/Os of the round that ended complete at `end` (now, or when a round that a later I/O
  /// closed early is due), in the order they joined it.
  private static func complete(at end: SimTime, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    while let m = pool.disk.nextEnded(at: end) {
      pool.requests[m.slot].timing.serviceTime += m.service
      sim.schedule(ioEvent(m.slot, pool), after: end - sim.now)
    }
  }

  /// What completes request `s`'s I/O: a guest's goes to its tapdisk's thread; a reopen's or GC
  /// step's last one ends its disk service.
  private static func ioEvent(_ s: Int32, _ pool: PoolModel) -> PoolEvent {
    pool.requests[s].kind == .guest || pool.requests[s].nextIO < pool.requests[s].ops.count
      ? .diskIODone(slot: s) : .diskDone(slot: s)
  }
}

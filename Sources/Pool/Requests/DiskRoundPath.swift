// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// Where the disk completes in rounds (docs/simulation.md#completion-rounds), an I/O that reaches it
/// during a round is held, and the held I/Os are timed together when that round ends.
enum DiskRoundPath {
  /// Request `s`'s I/O reached the disk now: its completion is scheduled `t` later, or, held for the
  /// next round, when that round starts.
  static func dispatched(
    _ s: Int32, taking t: SimTime, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>
  ) {
    guard t == SimulatedDisk.heldForRound else {
      sim.schedule(ioEvent(s, pool), after: t)
      return
    }
    if let start = pool.disk.hold(s) { sim.schedule(.diskRound, at: start) }
  }

  /// The round in service has ended: the held I/Os start the next together and complete at its end.
  static func startHeldRound(_ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let t = pool.disk.startHeldRound(at: sim.now)
    while let s = pool.disk.nextStarted() {
      pool.requests[s].timing.serviceTime += t
      sim.schedule(ioEvent(s, pool), after: t)
    }
  }

  /// What completes request `s`'s I/O: a guest's goes to its tapdisk's thread; a reopen's or GC
  /// step's last one ends its disk service.
  private static func ioEvent(_ s: Int32, _ pool: PoolModel) -> PoolEvent {
    pool.requests[s].kind == .guest || pool.requests[s].nextIO < pool.requests[s].ops.count
      ? .diskIODone(slot: s) : .diskDone(slot: s)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// The work a tapdisk's one thread does for guest requests: the engine call, and, where requests are
/// served one I/O at a time, everything else in turns (`TapdiskThread`): collecting completions,
/// zeroing in place and submitting I/Os, one action after another, each taking the thread's time
/// (`engine_cpu`: an engine call, a collection, a submission) or, for a zeroing and a submission the
/// file system makes wait, the device's
/// (docs/simulation.md#the-tapdisk-thread-in-turns).
enum TapdiskThreadWork {
  /// Runs the engine on request `s` now (a recorded write is logged and tagged first, a mirror marks
  /// its block); false when it failed (the run stops).
  static func engineCall(_ s: Int32, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) -> Bool {
    let vdi = Int(pool.requests[s].vdi)
    let chain = pool.tapdisks[vdi].chain
    let buffer = pool.engine.buffer(bytes: pool.requests[s].sectors * 512)
    pool.requests[s].inEngine = true
    pool.requests[s].logIndex = -1
    do {
      if pool.requests[s].isWrite && pool.journal.recordWrites {
        try pool.journal.log(
          &pool.requests[s], vdi: vdi, at: sim.now, data: buffer, chain: chain, engine: &pool.engine)
      }
      try pool.engine.perform(&pool.requests[s], on: chain, volumes: pool.tapdisks[vdi].levelVolumes)
    } catch {
      pool.fail(error, sim: &sim)
      return false
    }
    if pool.requests[s].isWrite && pool.tapdisks[vdi].mirror != nil {
      pool.tapdisks[vdi].mirror!.mark(sector: pool.requests[s].sector, sectors: pool.requests[s].sectors)
    }
    return true
  }

  /// An I/O of guest request `s` completed: it waits for its thread's next `io_getevents`. Where the
  /// device completes in rounds, a waiting thread starts its turn a zero-time step later, after the
  /// other completions of this instant (queued already), so one `io_getevents` collects the whole
  /// round, as the real call does (docs/simulation.md#completion-rounds).
  static func ioCompleted(_ s: Int32, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let vdi = Int(pool.requests[s].vdi)
    pool.tapdisks[vdi].thread.completed(s)
    guard pool.disk.completesInRounds else { return wake(vdi, &pool, &sim) }
    guard !pool.tapdisks[vdi].thread.running else { return }
    pool.tapdisks[vdi].thread.running = true
    sim.schedule(.threadStep(vdi: Int32(vdi)), after: .zero)
  }

  /// Starts tapdisk `vdi`'s thread if it waits in `io_getevents`.
  static func wake(_ vdi: Int, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    guard !pool.tapdisks[vdi].thread.running else { return }
    pool.tapdisks[vdi].thread.running = true
    step(vdi, &pool, &sim)
  }

  /// The thread's current action is over: its effects apply, and the thread runs its next actions
  /// until one takes time (a step is scheduled for its end) or none is left (it waits).
  static func step(_ vdi: Int, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    if let a = pool.tapdisks[vdi].thread.current {
      pool.tapdisks[vdi].thread.current = nil
      end(a, &pool, &sim)
    }
    while pool.failure == nil, let a = pool.tapdisks[vdi].thread.next(at: sim.now) {
      let d = begin(a, vdi: vdi, &pool, &sim)
      if pool.failure != nil { return }
      if d > .zero {
        pool.tapdisks[vdi].thread.current = a
        sim.schedule(.threadStep(vdi: Int32(vdi)), after: d)
        return
      }
      end(a, &pool, &sim)
    }
    pool.tapdisks[vdi].thread.running = false
  }

  /// Starts action `a` now; returns the thread's time for it.
  private static func begin(
    _ a: TapdiskThread.Action, vdi: Int, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>
  ) -> SimTime {
    switch a {
    case .collect(let s):
      pool.requests[s].timing.io.inFlight +=
        pool.tapdisks[vdi].thread.collectedAt - pool.requests[s].timing.submitted
      pool.requests[s].timing.io.count += 1
      return pool.engineCPU.perIO
    case .engineCall(let s):
      guard engineCall(s, &pool, &sim) else { return .zero }
      return pool.engineCPU.time(levels: pool.requests[s].work.levelsProbed)
    case .punch(let s):
      let t = pool.requests[s].serveNextIO(on: &pool.disk, at: sim.now)
      pool.requests[s].timing.io.zeroing += t
      return t
    case .submit(let s):
      pool.requests[s].timing.submitted = pool.tapdisks[vdi].thread.submitBegan
      let op = pool.requests.slots[Int(s)].ops[pool.requests[s].nextIO]
      if pool.tapdisks[vdi].thread.plugging {
        if op.space == .none {
          if pool.tapdisks[vdi].thread.plugged(s, isWrite: op.isWrite) { unplug(vdi, &pool, &sim) }
          pool.requests[s].timing.io.submit += pool.engineCPU.perSubmit
          return pool.engineCPU.perSubmit
        }
        // One the file system allocates for goes to the device as it is submitted, and takes what
        // the plug holds with it.
        unplug(vdi, &pool, &sim)
      }
      let t = dispatch(s, &pool, &sim)
      let held = Swift.max(pool.disk.submitterHeld(op, service: t, at: sim.now), pool.engineCPU.perSubmit)
      pool.requests[s].timing.io.submit += held
      return held
    case .flush:
      unplug(vdi, &pool, &sim)
      return .zero
    }
  }

  /// Request `s`'s next I/O reaches the device now; returns its time there.
  private static func dispatch(_ s: Int32, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>)
    -> SimTime
  {
    let t = pool.requests[s].serveNextIO(on: &pool.disk, at: sim.now)
    DiskRoundPath.dispatched(s, taking: t, &pool, &sim)
    return Swift.max(t, .zero)
  }

  /// What tapdisk `vdi`'s plug holds reaches the device now, together, in the order submitted.
  private static func unplug(_ vdi: Int, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let burst = pool.tapdisks[vdi].thread.unplugging()
    if burst.count > 1 { pool.disk.arriveTogether(count: burst.count, writes: burst.writes) }
    while let s = pool.tapdisks[vdi].thread.unplugNext() { _ = dispatch(s, &pool, &sim) }
  }

  /// Action `a`'s time is over: what it did takes effect (a request taken now has its engine call
  /// run in place).
  private static func end(
    _ a: TapdiskThread.Action, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>
  ) {
    guard let s = a.slot else { return }
    let vdi = Int(pool.requests[s].vdi)
    pool.tapdisks[vdi].thread.handling = true
    defer { pool.tapdisks[vdi].thread.handling = false }
    switch a {
    case .collect, .punch: route(s, &pool, &sim)
    case .engineCall: pool.submit(s, sim: &sim)
    case .submit, .flush: break
    }
  }

  /// Guest request `s` goes on from its `nextIO`: done after its last I/O, a zeroing in place, or
  /// its next I/O in the turn's submission.
  static func route(_ s: Int32, _ pool: inout PoolModel, _ sim: inout Simulator<PoolEvent>) {
    let vdi = Int(pool.requests[s].vdi)
    let i = pool.requests[s].nextIO
    if i == pool.requests[s].ops.count {
      pool.diskDone(s, sim: &sim)
      return
    }
    if pool.requests.slots[Int(s)].ops[i].space == .punchesHole {
      pool.tapdisks[vdi].thread.punchNext(s)
    } else {
      pool.tapdisks[vdi].thread.queueSubmission(s)
    }
    wake(vdi, &pool, &sim)
  }
}

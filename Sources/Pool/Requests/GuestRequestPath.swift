// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD
import Workloads

/// A guest request's path through the pool, top to bottom: the VM's generator makes it (`pull`), it
/// arrives at the VDI's tapdisk (`admit`: taken now or queued, held while paused), the tapdisk hands
/// it to the real engine (`dispatch`), the engine's physical I/O, placed on the SR's volumes, queues
/// on the disk (`submit`, `startService`), and its completion records the metrics and lets a
/// closed-loop VM issue its next request (`finish`).
extension PoolModel {
  /// The next request of VM `vm`: flushes are acknowledged at once; a data request takes a slot and
  /// arrives at its time (an `.arrive` event) — or, made `atCompletion` of a closed-loop VM's previous
  /// request and due now, enters its tapdisk in that completion's handler, as fio's iodepth loop does.
  mutating func pull(_ vm: Int, atCompletion: Bool = false, sim: inout Simulator<PoolEvent>) {
    var t = sim.now
    var flushesInARow = 0
    while true {
      guard let r = vms[vm].generator.next(now: t) else { return }
      t = Swift.max(t, r.time)
      if r.operation == .flush {
        flushes += 1
        flushesInARow += 1
        if flushesInARow > 100_000 {
          fail(PoolError("VM \(vm)'s generator issues nothing but flushes"), sim: &sim)
          return
        }
        continue
      }
      let vdi = vms[vm].vdi
      let size = tapdisks[vdi].chain.leaf.sizeSectors
      guard r.sectors > 0, r.lba < size, UInt64(r.sectors) <= size - r.lba else {
        fail(
          PoolError(
            "VM \(vm) request #\(r.sequence) (\(r.lba)+\(r.sectors)) runs past the \(size)-sector disk"),
          sim: &sim)
        return
      }
      let s = requests.allocate()
      requests[s].kind = .guest
      requests[s].vm = Int32(vm)
      requests[s].vdi = Int32(vdi)
      requests[s].isWrite = r.operation == .write
      requests[s].sector = r.lba
      requests[s].sectors = r.sectors
      requests[s].timing.issued = t
      requests[s].timing.heldSince = .min
      requests[s].timing.stall = .zero
      requests[s].guestSequence = r.sequence
      if atCompletion && t == sim.now {
        admit(s, sim: &sim)
      } else {
        sim.schedule(.arrive(slot: s), at: t)
      }
      return
    }
  }

  /// A request reaches its tapdisk at its time; an open-loop VM then makes its next one.
  mutating func arrive(_ s: Int32, sim: inout Simulator<PoolEvent>) {
    requests[s].timing.issued = sim.now
    let vm = Int(requests[s].vm)
    admit(s, sim: &sim)
    if vms[vm].generator.loop == .open { pull(vm, sim: &sim) }
  }

  /// The tapdisk takes the request now, or queues it (held while paused).
  mutating func admit(_ s: Int32, sim: inout Simulator<PoolEvent>) {
    let vdi = Int(requests[s].vdi)
    if tapdisks[vdi].accepting && tapdisks[vdi].waiting.isEmpty {
      dispatch(s, sim: &sim)
    } else {
      if tapdisks[vdi].state != .running { requests[s].timing.heldSince = sim.now }
      tapdisks[vdi].waiting.append(s)
    }
  }

  /// The tapdisk takes the request: the engine call (a recorded write is logged and tagged first),
  /// then the disk. With a thread in turns (`servesOneIOAtATime`) the thread runs the call when it
  /// comes to it (`TapdiskThreadWork`).
  mutating func dispatch(_ s: Int32, sim: inout Simulator<PoolEvent>) {
    let vdi = Int(requests[s].vdi)
    let now = sim.now
    tapdisks[vdi].inFlight += 1
    if requests[s].timing.heldSince != .min { requests[s].timing.stall = now - requests[s].timing.heldSince }
    if servesOneIOAtATime {
      tapdisks[vdi].thread.take(s)
      TapdiskThreadWork.wake(vdi, &self, &sim)
      return
    }
    guard TapdiskThreadWork.engineCall(s, &self, &sim) else { return }
    let cpu = engineCPU.time(levels: requests[s].work.levelsProbed)
    if cpu == .zero {
      submit(s, sim: &sim)
    } else {
      // The tapdisk's thread runs its engine calls one after another.
      let end = (tapdisks[vdi].threadBusy(at: now) ?? now) + cpu
      tapdisks[vdi].engineFreeAt = end
      sim.schedule(.engineDone(slot: s), at: end)
    }
  }

  /// The request's disk operations join the disk's queue (a request with none completes now).
  mutating func submit(_ s: Int32, sim: inout Simulator<PoolEvent>) {
    requests[s].timing.diskArrived = sim.now
    requests[s].timing.serviceTime = .zero
    requests[s].timing.io = ThreadIOTimes()
    if requests[s].ops.isEmpty {
      sim.schedule(.done(slot: s), after: .zero)
    } else if disk.arrive(s, at: sim.now) {
      startService(s, sim: &sim)
    }
  }

  /// Whether requests are served one I/O at a time: the disk's latency depends on what is in flight,
  /// or the tapdisk's thread pays for each I/O it collects or submits. Guest requests then go through
  /// their tapdisk's thread in turns (`TapdiskThread`).
  var servesOneIOAtATime: Bool {
    disk.timesIOsAsTheyStart || engineCPU.perIO != .zero || engineCPU.perSubmit != .zero
  }

  /// The disk starts serving the request: its service time from the disk model, for all its I/Os at
  /// once or, when requests are served one I/O at a time, its first I/O (a guest request's through
  /// its tapdisk's thread).
  mutating func startService(_ s: Int32, sim: inout Simulator<PoolEvent>) {
    if servesOneIOAtATime {
      requests[s].nextIO = 0
      if requests[s].kind == .guest {
        TapdiskThreadWork.route(s, &self, &sim)
      } else {
        serveNextIO(s, sim: &sim)
      }
      return
    }
    let t = requests.slots[Int(s)].ops.withUnsafeBufferPointer { disk.service($0, at: sim.now) }
    requests[s].timing.serviceTime = t
    requests[s].timing.io.inFlight = t
    requests[s].timing.io.count = requests[s].ops.count
    sim.schedule(.diskDone(slot: s), after: t)
  }

  /// A reopen's or GC step's next I/O, timed now with what is in flight now; after the last the
  /// request is done.
  mutating func serveNextIO(_ s: Int32, sim: inout Simulator<PoolEvent>) {
    let t = requests[s].serveNextIO(on: &disk, at: sim.now)
    DiskRoundPath.dispatched(s, taking: t, &self, &sim)
  }

  /// The disk finished the request: the next queued one starts, and this one completes.
  mutating func diskDone(_ s: Int32, sim: inout Simulator<PoolEvent>) {
    if let next = disk.depart(arrivedAt: requests[s].timing.diskArrived, at: sim.now) {
      startService(next, sim: &sim)
    }
    finish(s, sim: &sim)
  }

  /// A request completed: a GC step tells its worker, a reopen restarts its tapdisk, a guest request
  /// is recorded, frees its tapdisk slot (which may end a drain) and lets a closed-loop VM go on.
  mutating func finish(_ s: Int32, sim: inout Simulator<PoolEvent>) {
    let (kind, vdi, vm) = (requests[s].kind, Int(requests[s].vdi), Int(requests[s].vm))
    // Freed first: a drain below may start a snapshot or GC step that reuses it.
    requests.release(s)
    switch kind {
    case .gc:
      host.daemon.stepDone(worker: vm, &self, &sim)
    case .reopen:
      reopened(vdi, sim: &sim)
    case .guest:
      metrics.record(requests.slots[Int(s)], at: sim.now)
      requests[s].inEngine = false
      let logIndex = requests[s].logIndex
      if logIndex >= 0 { journal.completed(vdi: vdi, write: logIndex, at: sim.now) }
      if tapdisks[vdi].completed() {
        drained(vdi, sim: &sim)
      } else {
        pump(vdi, sim: &sim)
      }
      if vms[vm].generator.loop != .open { pull(vm, atCompletion: true, sim: &sim) }
    }
  }

  /// Moves queued requests into the engine while the tapdisk accepts them.
  mutating func pump(_ vdi: Int, sim: inout Simulator<PoolEvent>) {
    while tapdisks[vdi].accepting, let next = tapdisks[vdi].waiting.popFirst() {
      dispatch(next, sim: &sim)
      if failure != nil { return }
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

import Simulation
import Testing

/// The process pattern of Process.swift, end to end: closed-loop clients share one disk; each waits at most
/// `patience` for it, then gives up and thinks again. Every time is fixed, so the whole trace is known.
private struct ClosedLoop: SimulationModel {
  enum Event {
    case wake(ProcessID)
    case granted(ProcessID)
    case done(ProcessID)
    case gaveUp(ProcessID)
  }

  struct Client {
    enum State { case thinking, waiting, inService }
    var state = State.thinking
    var patienceTimer = SimTimer()
  }

  var clients = [Client](repeating: Client(), count: 3)
  var disk = FIFOResource<ProcessID>(capacity: 1)
  let think = SimTime.milliseconds(10)
  let service = SimTime.milliseconds(4)
  let patience = SimTime.milliseconds(6)
  var trace: [String] = []

  mutating func startService(_ p: ProcessID, _ sim: inout Simulator<Event>) {
    clients[p.index].state = .inService
    trace.append("\(sim.now) \(p) service")
    sim.schedule(.done(p), after: service)
  }

  mutating func handle(_ event: Event, at now: SimTime, sim: inout Simulator<Event>) {
    switch event {
    case .wake(let p):
      #expect(clients[p.index].state == .thinking)
      if disk.request(p, at: now) {
        startService(p, &sim)
      } else {
        clients[p.index].state = .waiting
        trace.append("\(now) \(p) queued")
        clients[p.index].patienceTimer.arm(.gaveUp(p), after: patience, in: &sim)
      }
    case .granted(let p):
      #expect(clients[p.index].state == .waiting)
      #expect(clients[p.index].patienceTimer.disarm(in: &sim) == true)
      startService(p, &sim)
    case .done(let p):
      #expect(clients[p.index].state == .inService)
      trace.append("\(now) \(p) done")
      disk.release(in: &sim) { .granted($0) }
      clients[p.index].state = .thinking
      sim.schedule(.wake(p), after: think)
    case .gaveUp(let p):
      #expect(clients[p.index].state == .waiting)
      #expect(disk.withdraw(at: now) { $0 == p } == p)
      trace.append("\(now) \(p) gave up")
      clients[p.index].state = .thinking
      sim.schedule(.wake(p), after: think)
    }
  }
}

@Suite struct ProcessPatternTests {
  @Test func closedLoopClientsWithTimeouts() {
    var sim = Simulator<ClosedLoop.Event>()
    var model = ClosedLoop()
    for i in 0..<3 { sim.schedule(.wake(ProcessID(i)), at: .zero) }
    #expect(sim.run(&model, until: .milliseconds(23)) == .reachedLimit)
    #expect(
      model.trace == [
        "0 ns p0 service", "0 ns p1 queued", "0 ns p2 queued",
        "4 ms p0 done", "4 ms p1 service",  // handed over by release(in:notify:); p1's timer cancelled
        "6 ms p2 gave up",  // p2's timer was not cancelled
        "8 ms p1 done",
        "14 ms p0 service",
        "16 ms p2 queued",
        "18 ms p1 queued",  // p1's wake was scheduled before p0's completion: it runs first
        "18 ms p0 done", "18 ms p2 service",
        "22 ms p2 done", "22 ms p1 service",
      ])
    let stats = model.disk.statistics(at: sim.now)
    #expect(stats.elapsed == .milliseconds(23))
    #expect(stats.requests == 6)
    #expect(stats.grants == 5)
    #expect(stats.immediateGrants == 2)
    #expect(stats.releases == 4)
    #expect(stats.withdrawals == 1)
    #expect(stats.maxQueueLength == 2)
    #expect(stats.maxWait == .milliseconds(4))
    #expect(abs(stats.meanWait - 0.002) < 1e-15)  // (0 + 4 + 0 + 2 + 4) / 5 ms
    #expect(abs(stats.busyTime - 0.017) < 1e-15)  // idle only from 8 to 14 ms
    #expect(abs(stats.utilization - 17.0 / 23.0) < 1e-15)
    #expect(abs(stats.meanQueueLength - 16.0 / 23.0) < 1e-15)  // 2·4 + 1·2 + 1·2 + 1·4 ms
    #expect(model.clients.map(\.state) == [.thinking, .inService, .thinking])
    #expect(model.clients[1].patienceTimer.isArmed(in: sim) == false)
  }
}

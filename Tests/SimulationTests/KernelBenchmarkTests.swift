// SPDX-License-Identifier: GPL-3.0-or-later

import Simulation
import Testing

/// Smoke tests: the benchmark models do exactly the work they claim (timings are not asserted).
@Suite struct KernelBenchmarkTests {
  @Test func holdHandlesExactlyTheRequestedEvents() {
    let r = KernelBenchmark.hold(pending: 100, events: 10_000, seed: 1)
    #expect(r.events == 10_000)
    #expect(r.eventsPerSecond > 0)
    // 100 pending Exp(1 s) holds: about 100 s of simulated time per 10 000 events.
    #expect(r.simulatedTime > .seconds(80) && r.simulatedTime < .seconds(120))
  }

  @Test func mm1ServesEveryCustomer() {
    let r = KernelBenchmark.mm1(customers: 5_000, seed: 1)
    #expect(r.events == 10_000)
    #expect(r.meanResponse > 2 && r.meanResponse < 10)
    let again = KernelBenchmark.mm1(customers: 5_000, seed: 1)
    #expect(again.meanResponse == r.meanResponse)
  }
}

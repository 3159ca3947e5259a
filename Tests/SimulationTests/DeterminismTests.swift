// SPDX-License-Identifier: GPL-3.0-or-later

import Simulation
import Testing

/// A scenario and seed must give the same run bit for bit: same events, same times, same order.
@Suite struct DeterminismTests {
  func digest(scenario: String, replication: Int) -> (UInt64, Int) {
    let model = SingleServerQueue(
      seed: (scenario, replication), arrivalRate: 0.8, service: .exponential(mean: 1), customers: 20_000)
    let (done, sim) = SingleServerQueue.run(model)
    return (done.digest.value, sim.eventsProcessed)
  }

  @Test func sameSeedSameDigest() {
    let (first, events) = digest(scenario: "test.digest", replication: 7)
    let (second, eventsAgain) = digest(scenario: "test.digest", replication: 7)
    #expect(first == second)
    #expect(events == eventsAgain)
    #expect(events > 40_000)
  }

  @Test func differentSeedDifferentDigest() {
    let (a, _) = digest(scenario: "test.digest", replication: 7)
    let (b, _) = digest(scenario: "test.digest", replication: 8)
    let (c, _) = digest(scenario: "test.digest2", replication: 7)
    #expect(a != b)
    #expect(a != c)
    #expect(b != c)
  }
}

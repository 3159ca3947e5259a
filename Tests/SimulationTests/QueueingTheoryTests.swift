// SPDX-License-Identifier: GPL-3.0-or-later

import Simulation
import Testing

/// The kernel against queueing theory. Each check uses 20 independent replications (seeds derived from
/// the replication number) of 200 000 customers and a t-based 99 % confidence interval, which must contain
/// the exact value. The seeds are fixed, so the outcome is too; with other seeds about 1 run in 100 would
/// miss by chance.
@Suite struct QueueingTheoryTests {
  static let replications = 20
  static let customers = 200_000

  func replicatedMeanResponse(scenario: String, service: SingleServerQueue.Service) -> [Double] {
    (0..<Self.replications).map { replication in
      let model = SingleServerQueue(
        seed: (scenario, replication), arrivalRate: 0.8, service: service, customers: Self.customers)
      let (done, _) = SingleServerQueue.run(model)
      #expect(done.departed == Self.customers)
      return done.meanResponse
    }
  }

  /// M/M/1, λ = 0.8, μ = 1: W = 1/(μ − λ) = 5.
  @Test func mm1MeanResponseTime() {
    let (mean, halfWidth) = confidenceInterval99(
      replicatedMeanResponse(scenario: "test.mm1", service: .exponential(mean: 1)))
    #expect(abs(mean - 5) <= halfWidth, "W = \(mean) ± \(halfWidth)")
    #expect(halfWidth < 0.25)  // the interval is informative, not vacuous
  }

  /// M/D/1, λ = 0.8, service 1: W = 1/μ + ρ/(2μ(1 − ρ)) = 1 + 0.8/0.4 = 3.
  @Test func md1MeanResponseTime() {
    let (mean, halfWidth) = confidenceInterval99(
      replicatedMeanResponse(scenario: "test.md1", service: .deterministic(.seconds(1))))
    #expect(abs(mean - 3) <= halfWidth, "W = \(mean) ± \(halfWidth)")
    #expect(halfWidth < 0.1)
  }

  /// Little's law on the resource's own time integrals: L = λW for the whole system and for the queue.
  @Test func littlesLaw() {
    var model = SingleServerQueue(
      seed: ("test.little", 0), arrivalRate: 0.8, service: .exponential(mean: 1), customers: .max)
    var sim = Simulator<SingleServerQueue.Event>(capacity: 8)
    sim.schedule(.arrival, at: .zero)
    let horizon = SimTime.seconds(250_000)
    #expect(sim.run(&model, until: horizon) == .reachedLimit)
    let stats = model.server.statistics(at: sim.now)
    let lambda = Double(model.arrived) / horizon.seconds
    let w = model.responseSum / Double(model.departed)
    #expect(
      abs(stats.meanInSystem / (lambda * w) - 1) < 0.01, "L = \(stats.meanInSystem), λW = \(lambda * w)")
    #expect(abs(stats.meanQueueLength / (lambda * stats.meanWait) - 1) < 0.01)
    #expect(abs(stats.utilization - 0.8) < 0.01)
    #expect(model.departed > 190_000)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

import Simulation

/// Sample mean and unbiased variance (two-pass, so no cancellation trouble).
func meanAndVariance(_ xs: [Double]) -> (mean: Double, variance: Double) {
  let n = Double(xs.count)
  let mean = xs.reduce(0, +) / n
  let ss = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
  return (mean, ss / (n - 1))
}

/// Student t quantile t(0.995, 19): the two-sided 99 % critical value for 20 replications
/// (gsl_cdf_tdist_Pinv(0.995, 19)).
let t99With19DegreesOfFreedom = 2.860_934_606_449_914

/// Half-width of the t-based 99 % confidence interval for the mean of 20 replications.
func confidenceInterval99(_ xs: [Double]) -> (mean: Double, halfWidth: Double) {
  precondition(xs.count == 20, "the critical value above is for 20 replications")
  let (mean, variance) = meanAndVariance(xs)
  return (mean, t99With19DegreesOfFreedom * (variance / Double(xs.count)).squareRoot())
}

/// M/G/1 queue used by the queueing-theory and determinism tests: Poisson arrivals, one FIFO server,
/// service either exponential or deterministic. Handovers go through `release(in:notify:)`, so the model is
/// told of each grant by an event, as a process-style model would be.
struct SingleServerQueue: SimulationModel {
  enum Event {
    case arrival
    case startService(arrivedAt: SimTime)
    case departure(arrivedAt: SimTime)

    var kind: UInt64 {
      switch self {
      case .arrival: 1
      case .startService: 2
      case .departure: 3
      }
    }
  }

  enum Service {
    case exponential(mean: Double)
    case deterministic(SimTime)
  }

  let arrivals: RandomStream
  let serviceStream: RandomStream
  let meanInterarrival: Double
  let service: Service
  let customers: Int
  var server = FIFOResource<SimTime>(capacity: 1)
  var arrived = 0
  var departed = 0
  var responseSum = 0.0
  var waitInQueueSum = 0.0
  /// FNV-1a over every handled event's time and kind.
  var digest = FNV1a64()

  init(seed: (scenario: String, replication: Int), arrivalRate: Double, service: Service, customers: Int) {
    arrivals = RandomStream(scenario: seed.scenario, replication: seed.replication, stream: "arrivals")
    serviceStream = RandomStream(scenario: seed.scenario, replication: seed.replication, stream: "service")
    meanInterarrival = 1 / arrivalRate
    self.service = service
    self.customers = customers
  }

  var meanResponse: Double { responseSum / Double(departed) }

  func serviceTime() -> SimTime {
    switch service {
    case .exponential(let mean): SimTime(seconds: serviceStream.exponential(mean: mean))
    case .deterministic(let d): d
    }
  }

  /// Runs to completion (every customer served) and returns the model.
  static func run(_ model: SingleServerQueue) -> (SingleServerQueue, Simulator<Event>) {
    var model = model
    var sim = Simulator<Event>(capacity: 8)
    sim.schedule(.arrival, after: SimTime(seconds: model.arrivals.exponential(mean: model.meanInterarrival)))
    sim.run(&model)
    return (model, sim)
  }

  mutating func handle(_ event: Event, at now: SimTime, sim: inout Simulator<Event>) {
    digest.combine(UInt64(bitPattern: now.nanoseconds))
    digest.combine(event.kind)
    switch event {
    case .arrival:
      arrived += 1
      if arrived < customers {
        sim.schedule(.arrival, after: SimTime(seconds: arrivals.exponential(mean: meanInterarrival)))
      }
      if server.request(now, at: now) {
        sim.schedule(.departure(arrivedAt: now), after: serviceTime())
      }
    case .startService(let arrivedAt):
      waitInQueueSum += (now - arrivedAt).seconds
      sim.schedule(.departure(arrivedAt: arrivedAt), after: serviceTime())
    case .departure(let arrivedAt):
      departed += 1
      responseSum += (now - arrivedAt).seconds
      server.release(in: &sim) { .startService(arrivedAt: $0) }
    }
  }
}

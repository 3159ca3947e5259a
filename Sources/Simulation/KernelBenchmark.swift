// SPDX-License-Identifier: GPL-3.0-or-later

/// Throughput probes of the kernel itself, for `vhdsim bench kernel` and comparison with SimPy
/// (Benchmarks/simpy). Meaningful only in a release build; wall time from `ContinuousClock`.
public enum KernelBenchmark {
  /// The classic hold model: `pending` events in the queue; each handled event schedules one more at
  /// now + Exp(mean 1 s). Measures the pure future-event-set cost (pop min + insert) at a fixed size.
  public static func hold(
    pending: Int, events: Int, seed: UInt64
  ) -> (eventsPerSecond: Double, events: Int, seconds: Double, simulatedTime: SimTime) {
    precondition(pending > 0 && events > 0)
    var sim = Simulator<HoldModel.Event>(capacity: pending)
    var model = HoldModel(stream: RandomStream(seed: seed), remaining: events)
    for i in 0..<pending {
      sim.schedule(.hold(ProcessID(i)), after: model.increment())
    }
    let before = sim.eventsProcessed
    let elapsed = ContinuousClock().measure {
      sim.run(&model)
    }
    let handled = sim.eventsProcessed - before
    let seconds = elapsed.seconds
    return (Double(handled) / seconds, handled, seconds, sim.now)
  }

  /// An M/M/1 queue (Poisson arrivals, one FIFO server, exponential service) run for `customers`
  /// customers: two events per customer (arrival, departure). Returns the kernel rate and the measured mean
  /// response time (theory: 1/(μ − λ), 5 s for the defaults).
  public static func mm1(
    customers: Int, arrivalRate: Double = 0.8, serviceRate: Double = 1.0, seed: UInt64
  ) -> (
    eventsPerSecond: Double, customersPerSecond: Double, meanResponse: Double, events: Int, seconds: Double
  ) {
    precondition(customers > 0 && arrivalRate > 0 && serviceRate > 0)
    var sim = Simulator<MM1Model.Event>(capacity: 16)
    var model = MM1Model(
      arrivals: RandomStream(seed: seed),
      service: RandomStream(seed: SplitMix64.mix(seed)),
      meanInterarrival: 1 / arrivalRate,
      meanService: 1 / serviceRate,
      customers: customers
    )
    sim.schedule(.arrival, after: model.interarrival())
    let elapsed = ContinuousClock().measure {
      sim.run(&model)
    }
    let seconds = elapsed.seconds
    let events = sim.eventsProcessed
    return (
      Double(events) / seconds, Double(model.departed) / seconds,
      model.responseSum / Double(model.departed), events, seconds
    )
  }
}

struct HoldModel: SimulationModel {
  enum Event {
    case hold(ProcessID)
  }

  let stream: RandomStream
  var remaining: Int

  func increment() -> SimTime {
    SimTime(seconds: stream.exponential(mean: 1))
  }

  mutating func handle(_ event: Event, at time: SimTime, sim: inout Simulator<Event>) {
    remaining -= 1
    if remaining == 0 {
      sim.stop()
      return
    }
    sim.schedule(event, after: increment())
  }
}

struct MM1Model: SimulationModel {
  enum Event {
    case arrival
    /// Service of the customer who arrived at `arrivedAt` ends.
    case departure(arrivedAt: SimTime)
  }

  let arrivals: RandomStream
  let service: RandomStream
  let meanInterarrival: Double
  let meanService: Double
  let customers: Int
  /// The server; each waiter is known by its arrival time, which is all a response time needs.
  var server = FIFOResource<SimTime>(capacity: 1)
  var arrived = 0
  var departed = 0
  var responseSum = 0.0

  init(
    arrivals: RandomStream, service: RandomStream, meanInterarrival: Double, meanService: Double,
    customers: Int
  ) {
    self.arrivals = arrivals
    self.service = service
    self.meanInterarrival = meanInterarrival
    self.meanService = meanService
    self.customers = customers
  }

  func interarrival() -> SimTime { SimTime(seconds: arrivals.exponential(mean: meanInterarrival)) }
  func serviceTime() -> SimTime { SimTime(seconds: service.exponential(mean: meanService)) }

  mutating func handle(_ event: Event, at now: SimTime, sim: inout Simulator<Event>) {
    switch event {
    case .arrival:
      arrived += 1
      if arrived < customers {
        sim.schedule(.arrival, after: interarrival())
      }
      if server.request(now, at: now) {
        sim.schedule(.departure(arrivedAt: now), after: serviceTime())
      }
    case .departure(let arrivedAt):
      departed += 1
      responseSum += (now - arrivedAt).seconds
      if let next = server.release(at: now) {
        sim.schedule(.departure(arrivedAt: next), after: serviceTime())
      }
    }
  }
}

extension Duration {
  fileprivate var seconds: Double {
    let (s, atto) = components
    return Double(s) + Double(atto) * 1e-18
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// How requests are paced: a closed loop with a fixed I/O depth (fio's `iodepth`), or an open loop whose
/// arrivals ignore completions (so queues can grow without bound, as in a real overloaded host).
public enum ArrivalProcess: Hashable, Sendable {
  /// `ioDepth` requests outstanding; each completion issues the next after `thinkTime`.
  case closedLoop(ioDepth: Int, thinkTime: SimTime = .zero)
  /// Exponential inter-arrival times with mean 1/rate: independent guests, the M in M/G/1.
  case poisson(ratePerSecond: Double)
  /// Exactly one request every 1/rate seconds (fio's `rate_iops`).
  case constantRate(ratePerSecond: Double)
  /// Bursts: Poisson at `ratePerSecond` during ON periods, silence during OFF periods, both of
  /// exponential length. Bursty guests (backups, log rotation) stress queues more than their mean rate.
  case onOff(ratePerSecond: Double, meanOn: SimTime, meanOff: SimTime)

  public var loop: LoopKind {
    if case .closedLoop(let depth, _) = self { return .closed(ioDepth: depth) }
    return .open
  }

  /// Why the parameters are unusable, or nil.
  public var problem: String? {
    switch self {
    case .closedLoop(let depth, let think):
      if depth < 1 { return "I/O depth \(depth) must be at least 1" }
      if think < .zero { return "think time must not be negative" }
    case .poisson(let r), .constantRate(let r):
      if !(r > 0 && r.isFinite) { return "arrival rate \(r) must be positive and finite" }
    case .onOff(let r, let on, let off):
      if !(r > 0 && r.isFinite) { return "arrival rate \(r) must be positive and finite" }
      if on <= .zero || off < .zero { return "ON period must be positive and OFF period not negative" }
    }
    return nil
  }
}

/// The running state of an ``ArrivalProcess``: the time of the next arrival, and for ON/OFF the end of
/// the current ON period. A value with no storage beyond a few words.
public struct ArrivalClock {
  public let process: ArrivalProcess
  let random: RandomStream
  /// Last arrival (open loop).
  var last: SimTime = .zero
  var started = false
  /// End of the current ON period (ON/OFF only).
  var onUntil: SimTime = .zero

  public init(process: ArrivalProcess, random: RandomStream) {
    precondition(process.problem == nil, "ArrivalClock: \(process.problem ?? "")")
    self.process = process
    self.random = random
  }

  /// When the next request is issued, given the driver's `now` (a freed slot, or the previous arrival).
  public mutating func nextTime(now: SimTime) -> SimTime {
    switch process {
    case .closedLoop(_, let think):
      return now + think
    case .poisson(let rate):
      if !started {
        started = true
        last = now
      }
      last += gap(meanSeconds: 1 / rate)
      return last
    case .constantRate(let rate):
      if !started {
        started = true
        last = now
        return last
      }
      last += SimTime(seconds: 1 / rate)
      return last
    case .onOff(let rate, let meanOn, let meanOff):
      if !started {
        started = true
        last = now
        onUntil = now + random.exponential(mean: meanOn)
      }
      var t = last + gap(meanSeconds: 1 / rate)
      // Memorylessness: an arrival that would fall after the ON period is redrawn from the start of
      // the next ON period, which gives the same process as drawing per period.
      while t > onUntil {
        let nextOn = onUntil + random.exponential(mean: meanOff)
        onUntil = nextOn + random.exponential(mean: meanOn)
        t = nextOn + gap(meanSeconds: 1 / rate)
      }
      last = t
      return t
    }
  }

  private func gap(meanSeconds: Double) -> SimTime {
    SimTime(seconds: random.exponential(mean: meanSeconds))
  }
}

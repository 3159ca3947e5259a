// SPDX-License-Identifier: GPL-3.0-or-later

/// A resource with `capacity` identical units served first-come first-served: a disk with queue depth c,
/// a tapdisk's request slots, a lock (c = 1).
///
/// It only does the bookkeeping; the model decides what holding a unit means. `request` grants at once or
/// queues the owner; `release` hands the unit straight to the oldest waiter and returns it, and the
/// `release(in:notify:)` form tells the model by scheduling an event at the current time (after events
/// already due now, so grants never jump the queue of simultaneous events).
///
/// It also keeps the time integrals that queueing questions need (busy time, queue length, number in
/// system, for Little's law) and the waits of granted requests. Times are passed in explicitly so the
/// resource is independent of any particular simulator instance.
public struct FIFOResource<Owner> {
  @usableFromInline
  struct Waiter {
    @usableFromInline var owner: Owner
    @usableFromInline var since: SimTime

    @inlinable init(owner: Owner, since: SimTime) {
      self.owner = owner
      self.since = since
    }
  }

  /// Number of units.
  public let capacity: Int
  @usableFromInline var busy = 0
  @usableFromInline var waiters: RingBuffer<Waiter>

  @usableFromInline var statisticsStart: SimTime
  @usableFromInline var lastChange: SimTime
  /// ∫ busy dt and ∫ queue length dt, in unit·nanoseconds (Double: exact up to 2⁵³ ns·units, then
  /// relative error 1e-16, which no statistic notices).
  @usableFromInline var busyArea = 0.0
  @usableFromInline var queueArea = 0.0
  @usableFromInline var requestCount = 0
  @usableFromInline var immediateCount = 0
  @usableFromInline var grantCount = 0
  @usableFromInline var releaseCount = 0
  @usableFromInline var withdrawalCount = 0
  @usableFromInline var waits = WaitTally()
  @usableFromInline var queuePeak = 0

  /// - Parameters:
  ///   - expectedWaiters: queue slots reserved up front (the queue grows by doubling beyond it).
  ///   - start: the instant statistics start from.
  @inlinable
  public init(capacity: Int, expectedWaiters: Int = 64, at start: SimTime = .zero) {
    precondition(capacity > 0, "FIFOResource capacity must be positive")
    self.capacity = capacity
    waiters = RingBuffer(capacity: expectedWaiters)
    statisticsStart = start
    lastChange = start
  }

  /// Units held now.
  @inlinable public var inUse: Int { busy }
  /// Owners waiting now.
  @inlinable public var queueLength: Int { waiters.count }
  /// Free units now.
  @inlinable public var available: Int { capacity - busy }

  /// The owner `offset` places from the head of the wait queue.
  @inlinable public func waiter(at offset: Int) -> Owner { waiters[offset].owner }

  /// Grants a unit to `owner` now (true) or appends it to the wait queue (false); a queued owner is
  /// returned by a later `release` once its turn comes.
  @inlinable
  public mutating func request(_ owner: Owner, at now: SimTime) -> Bool {
    accumulate(to: now)
    requestCount &+= 1
    if busy < capacity {
      busy &+= 1
      immediateCount &+= 1
      grantCount &+= 1
      waits.record(.zero)
      return true
    }
    waiters.append(Waiter(owner: owner, since: now))
    if waiters.count > queuePeak { queuePeak = waiters.count }
    return false
  }

  /// Returns one unit. If someone waits, the unit passes straight to the oldest waiter, which is returned
  /// (it now holds the unit); otherwise the unit becomes free and nil is returned.
  @inlinable
  @discardableResult
  public mutating func release(at now: SimTime) -> Owner? {
    precondition(busy > 0, "FIFOResource.release with no unit held")
    accumulate(to: now)
    releaseCount &+= 1
    guard let next = waiters.popFirst() else {
      busy &-= 1
      return nil
    }
    grantCount &+= 1
    waits.record(now - next.since)
    return next.owner
  }

  /// `release(at:)` that tells the model about a hand-over with the event `notify(owner)`, scheduled now.
  @inlinable
  @discardableResult
  public mutating func release<Event>(in sim: inout Simulator<Event>, notify: (Owner) -> Event) -> Owner? {
    guard let owner = release(at: sim.now) else { return nil }
    sim.schedule(notify(owner), after: .zero)
    return owner
  }

  /// Removes the first waiter matching `predicate` (a process that gave up: timeout, cancellation) and
  /// returns it. O(queue length). Its wait is not counted among the waits of granted requests.
  @inlinable
  public mutating func withdraw(at now: SimTime, where predicate: (Owner) -> Bool) -> Owner? {
    for offset in 0..<waiters.count where predicate(waiters[offset].owner) {
      accumulate(to: now)
      withdrawalCount &+= 1
      return waiters.remove(at: offset).owner
    }
    return nil
  }

  /// Summary since the start (or the last `resetStatistics`), closed at `now`.
  public func statistics(at now: SimTime) -> FIFOResourceStatistics {
    let dt = Double((now - lastChange).nanoseconds)
    let busyArea = self.busyArea + Double(busy) * dt
    let queueArea = self.queueArea + Double(waiters.count) * dt
    let elapsed = now - statisticsStart
    let span = Double(elapsed.nanoseconds)
    let waits = Double(grantCount)
    let meanWait = grantCount > 0 ? self.waits.sum / waits : 0
    let varianceWait =
      grantCount > 1 ? Swift.max(0, (self.waits.sumOfSquares - self.waits.sum * meanWait) / (waits - 1)) : 0
    return FIFOResourceStatistics(
      capacity: capacity,
      elapsed: elapsed,
      busyTime: busyArea / 1e9,
      utilization: span > 0 ? busyArea / (span * Double(capacity)) : 0,
      meanInService: span > 0 ? busyArea / span : 0,
      meanQueueLength: span > 0 ? queueArea / span : 0,
      requests: requestCount,
      grants: grantCount,
      immediateGrants: immediateCount,
      releases: releaseCount,
      withdrawals: withdrawalCount,
      meanWait: meanWait / 1e9,
      waitVariance: varianceWait / 1e18,
      maxWait: self.waits.maximum,
      maxQueueLength: queuePeak
    )
  }

  /// Forgets everything measured so far (e.g. after a warm-up period); current holders and waiters stay.
  /// Waiters already queued will count their whole wait when granted.
  public mutating func resetStatistics(at now: SimTime) {
    statisticsStart = now
    lastChange = now
    busyArea = 0
    queueArea = 0
    requestCount = 0
    immediateCount = 0
    grantCount = 0
    releaseCount = 0
    withdrawalCount = 0
    waits = WaitTally()
    queuePeak = waiters.count
  }

  @inlinable
  mutating func accumulate(to now: SimTime) {
    let dt = Double((now - lastChange).nanoseconds)
    busyArea += Double(busy) * dt
    queueArea += Double(waiters.count) * dt
    lastChange = now
  }
}

/// The waits of granted requests: sum and sum of squares in nanoseconds (for the mean and the sample
/// variance) and the longest.
@usableFromInline
struct WaitTally: Sendable {
  @usableFromInline var sum = 0.0
  @usableFromInline var sumOfSquares = 0.0
  @usableFromInline var maximum = SimTime.zero

  @inlinable init() {}

  @inlinable
  mutating func record(_ wait: SimTime) {
    let w = Double(wait.nanoseconds)
    sum += w
    sumOfSquares += w * w
    if wait > maximum { maximum = wait }
  }
}

/// What a `FIFOResource` measured over a period. Times in seconds unless typed `SimTime`.
public struct FIFOResourceStatistics: Sendable, Equatable {
  public var capacity: Int
  public var elapsed: SimTime
  /// ∫ units held dt, in unit·seconds.
  public var busyTime: Double
  /// busyTime / (capacity × elapsed).
  public var utilization: Double
  /// Time-average number of units held (= customers in service).
  public var meanInService: Double
  /// Time-average number waiting.
  public var meanQueueLength: Double
  /// Time-average number holding or waiting: L in Little's law L = λW.
  public var meanInSystem: Double { meanInService + meanQueueLength }
  public var requests: Int
  /// Requests granted (immediately or after a wait); each contributes one wait.
  public var grants: Int
  public var immediateGrants: Int
  public var releases: Int
  public var withdrawals: Int
  /// Mean wait of granted requests (zero waits included), seconds.
  public var meanWait: Double
  /// Sample variance of those waits, seconds².
  public var waitVariance: Double
  public var maxWait: SimTime
  public var maxQueueLength: Int
}

extension FIFOResource.Waiter: Sendable where Owner: Sendable {}
extension FIFOResource: Sendable where Owner: Sendable {}

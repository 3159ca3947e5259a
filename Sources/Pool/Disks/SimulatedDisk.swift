// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// One physical device in the pool: its timing model behind a FIFO of `model.parallelism` units.
///
/// Every user of the device (each VM's tapdisk, a tapdisk's reopen, later the GC's coalesce copy) queues
/// here in arrival order, which is how one VM's deep-chain reads slow down another VM on the same SR.
/// Service time is asked of the model when a request reaches a unit, so stateful models see requests in
/// the order the device actually serves them. Owners are request slot numbers of the pool.
public struct SimulatedDisk {
  public var model: any DiskModel
  public private(set) var queue: FIFOResource<Int32>
  /// Requests whose service finished, and the sum of their response times (queue + service), for
  /// Little's law checks against the FIFO's time-averaged number in system.
  public private(set) var completed = 0
  public private(set) var responseSum = SimTime.zero
  public private(set) var serviceSum = SimTime.zero
  /// `model.timesIOsAsTheyStart`, read once.
  public let timesIOsAsTheyStart: Bool
  /// `model.completesInRounds`, read once.
  public let completesInRounds: Bool
  /// Where the device completes in rounds, the request slots whose I/O is held for the next round,
  /// in order, and the spare list they swap with.
  private var held: [Int32] = []
  private var starting: [Int32] = []
  private var startingNext = 0

  /// What `service` returns for an I/O held for the next round (docs/simulation.md#completion-rounds):
  /// the caller hands its slot to `hold` and times it when `startHeldRound` says.
  public static let heldForRound = SimTime(nanoseconds: .min)

  public init(model: any DiskModel, at start: SimTime = .zero) {
    self.model = model
    timesIOsAsTheyStart = model.timesIOsAsTheyStart
    completesInRounds = model.completesInRounds
    queue = FIFOResource(capacity: model.parallelism, expectedWaiters: 256, at: start)
  }

  /// Queues `slot`; true when a unit was free and the caller must start its service now.
  @inline(__always)
  public mutating func arrive(_ slot: Int32, at now: SimTime) -> Bool { queue.request(slot, at: now) }

  /// Service time of `ops` starting now on the unit just granted.
  @inline(__always)
  public mutating func service(_ ops: UnsafeBufferPointer<DiskOp>, at now: SimTime) -> SimTime {
    let t = model.serviceTime(ops, at: now)
    if t != Self.heldForRound { serviceSum += t }
    return t
  }

  /// How long submitting `op`, just served from `now` in `service`, keeps its submitter in the
  /// system call (`DiskModel.submitterHeld`).
  @inline(__always)
  public func submitterHeld(_ op: DiskOp, service: SimTime, at now: SimTime) -> SimTime {
    model.submitterHeld(op, service: service, at: now)
  }

  /// Request slot `slot`'s I/O was held for the next round; returns when that round starts if the
  /// caller must schedule it (the first I/O held), else nil.
  public mutating func hold(_ slot: Int32) -> SimTime? {
    held.append(slot)
    return held.count == 1 ? model.roundEnd : nil
  }

  /// The held I/Os start a round now; returns its time. `nextStarted` then gives their slots, in the
  /// order they were held.
  public mutating func startHeldRound(at now: SimTime) -> SimTime {
    let t = model.startHeldRound(at: now)
    swap(&held, &starting)
    startingNext = 0
    serviceSum += SimTime(nanoseconds: t.nanoseconds * Int64(starting.count))
    return t
  }

  /// The next slot of the round `startHeldRound` started, or nil when all have been given.
  public mutating func nextStarted() -> Int32? {
    guard startingNext < starting.count else {
      starting.removeAll(keepingCapacity: true)
      return nil
    }
    startingNext += 1
    return starting[startingNext - 1]
  }

  /// The next `count` I/Os served reach the device together (`DiskModel.arriveTogether`).
  @inline(__always)
  public mutating func arriveTogether(count: Int, writes: Int) {
    model.arriveTogether(count: count, writes: writes)
  }

  /// Ends a service that began at `arrived`; returns the next queued slot, which now holds the unit.
  @inline(__always)
  public mutating func depart(arrivedAt arrived: SimTime, at now: SimTime) -> Int32? {
    completed &+= 1
    responseSum += now - arrived
    return queue.release(at: now)
  }

  public func statistics(at now: SimTime) -> FIFOResourceStatistics { queue.statistics(at: now) }
}

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
  /// Where the device completes in rounds: the request slots whose I/O is in the round in service
  /// (and when each reached the disk), that round's number and when it ends as last told, the slots
  /// of a round that has ended still to hand out, and the event that ends the round in service.
  private var members: [(slot: Int32, arrived: SimTime)] = []
  private var membersSerial = 0
  private var membersEnd = SimTime.zero
  private var ended: [(slot: Int32, arrived: SimTime)] = []
  private var endedNext = 0
  public var roundEvent: EventHandle?

  /// What `service` returns on a device that completes in rounds (docs/simulation.md#completion-rounds):
  /// the I/O is in a round, and the caller hands its slot to `hold`.
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

  /// Request slot `slot`'s I/O reached the device at `now` and joined its round in service:
  /// returns when that round ends as it stands and, where this I/O opened it while the round before
  /// still held I/Os not handed out (its end not yet handled: this I/O's submission ends after it,
  /// a file system's allocation, say), when that one was due (`nextEnded` gives its I/Os).
  public mutating func hold(_ slot: Int32, at now: SimTime) -> (end: SimTime, endedAt: SimTime?) {
    var endedAt: SimTime?
    if model.roundSerial != membersSerial {
      if !members.isEmpty { endedAt = Swift.max(now, membersEnd) }
      endRound()
      membersSerial = model.roundSerial
    }
    members.append((slot, now))
    membersEnd = model.roundEnd
    return (membersEnd, endedAt)
  }

  /// The round in service has ended: `nextEnded` hands out its slots, in the order they joined.
  public mutating func endRound() {
    if ended.isEmpty {
      swap(&members, &ended)
      endedNext = 0
    } else {
      ended.append(contentsOf: members)
      members.removeAll(keepingCapacity: true)
    }
  }

  /// The next slot of an ended round and its time on the disk at `now`, or nil when all are out.
  public mutating func nextEnded(at now: SimTime) -> (slot: Int32, service: SimTime)? {
    guard endedNext < ended.count else {
      ended.removeAll(keepingCapacity: true)
      endedNext = 0
      return nil
    }
    let m = ended[endedNext]
    endedNext += 1
    serviceSum += now - m.arrived
    return (m.slot, now - m.arrived)
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

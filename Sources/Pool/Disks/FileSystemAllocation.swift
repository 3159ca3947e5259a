// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// What a file system adds in front of the device for the sparse files of a file SR, driven as
/// tapdisk drives them: one thread, Linux native AIO, O_DIRECT (docs/simulation.md#file-system-allocation),
/// with times measured by `vhdsim disk calibrate` on a fresh sparse file.
///
/// A direct write into a hole makes the file system allocate blocks, and ext4 (6.x,
/// `ext4_dio_write_checks` in fs/ext4/file.c) does that holding the file's inode lock exclusively,
/// while reads and overwrites take it shared. Under AIO a lock is held only while the I/O is
/// submitted, not until it completes, except for the writes ext4 makes wait: a write that is not
/// aligned to the file-system block (a 512-byte bitmap or footer into a hole) first waits for
/// every direct I/O in flight on the file and then completes under the lock, and so does a hole
/// punch or a growth of the file. So each file (`DiskOp.file`) has a lane: an aligned allocating
/// write holds it for its submission (`allocatingSubmit`) and completes after its whole latency
/// (`allocatingWrite`) without it; an unaligned allocating write or a punch waits for the file's
/// I/O in flight, then holds the lane to its end. A read or overwrite that asks after an exclusive
/// holder asked waits until that one lets go (the lock is fair: a waiting writer is not overtaken
/// by later readers), then holds nothing. Ops of no known file share one lane.
public struct FileSystemAllocation: Sendable, Equatable {
  /// Latency of a write into a hole, submission to completion, transfer excluded (it replaces the
  /// device's write latency).
  public var allocatingWrite: SizeClassLatency
  /// Of that, the submission (`io_submit`: the allocation under the inode lock), drawn at the same
  /// quantile as `allocatingWrite`; nil (a profile without it): the lock is held to completion.
  public var allocatingSubmit: SizeClassLatency?
  /// Time to punch a hole or grow the file: a block's zeroing on a sparse file (no data moves).
  public var punchHole: LatencyDistribution
  /// The file system's block: a write whose offset or length is not a multiple of it is unaligned.
  public static let blockBytes: UInt64 = 4096
  /// Per file (index `file + 1`; 0: no known file): the exclusive lane, and when the I/O begun on
  /// the file so far ends. They grow when a new file first appears, not per request.
  var lanes: [BusCalendar] = []
  var inFlightUntil: [SimTime] = []
  /// Per file, the exclusive holds not yet over: when each asked for the lock and when it lets go.
  var exclusive: [[Hold]] = []
  /// When the last exclusive op served let its file's lock go: where a write into a hole that does
  /// not drain returns from its submission.
  var lastLetGo = SimTime.zero

  /// An exclusive hold: when it asked for its file's lock and when it lets go (ns).
  struct Hold: Sendable, Equatable {
    var asked: Int64
    var end: Int64
  }

  public init(
    allocatingWrite: SizeClassLatency, allocatingSubmit: SizeClassLatency? = nil,
    punchHole: LatencyDistribution
  ) {
    self.allocatingWrite = allocatingWrite
    self.allocatingSubmit = allocatingSubmit
    self.punchHole = punchHole
  }

  /// Serves `op` (an allocating write or a punch) ready at `ready`, drawing its time at `u`; returns
  /// when it ends (its transfer excluded).
  mutating func serveExclusive(_ op: DiskOp, ready: SimTime, at u: Double, now: SimTime) -> SimTime {
    let f = slot(op)
    let drains = Self.drains(op)
    let total = Int64(
      (op.space == .punchesHole
        ? punchHole.value(at: u) : allocatingWrite.value(bytes: op.length, at: u)).rounded())
    var held = total
    if !drains, let submit = allocatingSubmit {
      held = Swift.min(total, Int64(submit.value(bytes: op.length, at: u).rounded()))
    }
    let start = drains ? Swift.max(ready, inFlightUntil[f]) : ready
    let letGo = hold(f, asked: ready, from: start, for: held, now: now)
    return letGo + SimTime(nanoseconds: total - held)
  }

  /// Where the device completes in rounds (docs/simulation.md#completion-rounds): serves only the
  /// allocation of `op`, an aligned write into a hole ready at `ready`, holding its file's lane for
  /// `allocatingSubmit` drawn at `u`; returns when the write leaves for the device, where it joins a
  /// round as any write does. Nil where the op drains or the profile does not time the submission
  /// (then the lock is held to completion, which `serveExclusive` serves).
  mutating func serveAllocation(_ op: DiskOp, ready: SimTime, at u: Double, now: SimTime) -> SimTime? {
    guard op.space == .allocates, !Self.drains(op), let submit = allocatingSubmit else { return nil }
    let held = Int64(submit.value(bytes: op.length, at: u).rounded())
    return hold(slot(op), asked: ready, from: ready, for: held, now: now)
  }

  /// File `f`'s lane held exclusively from `start` (or when it is free) for `duration` ns, by an op
  /// that asked for the lock at `asked`; returns when it lets go.
  private mutating func hold(_ f: Int, asked: SimTime, from start: SimTime, for duration: Int64, now: SimTime)
    -> SimTime
  {
    let letGo = lanes[f].reserve(ready: start, duration: duration, now: now)
    exclusive[f].removeAll { $0.end <= now.nanoseconds }
    exclusive[f].append(Hold(asked: asked.nanoseconds, end: letGo.nanoseconds))
    lastLetGo = letGo
    return letGo
  }

  /// Whether `op` (an allocating write or a punch) first waits for the file's I/O in flight and then
  /// completes under the lock: a punch, or a write not aligned to the file-system block.
  static func drains(_ op: DiskOp) -> Bool {
    op.space == .punchesHole || op.offset % blockBytes != 0 || op.length % blockBytes != 0
  }

  /// How long `op`, just served alone from `now` in `service`, keeps the caller in its system call:
  /// a draining op to its completion (ext4 waits for the file's direct I/O, `inode_dio_wait`, and
  /// completes an unaligned write before io_submit returns; `fallocate` returns when the punch is
  /// done); an aligned write into a hole until it lets the lock go (the block allocation is made in
  /// io_submit, `ext4_iomap_begin` under the exclusive inode lock, waiting for the lock included),
  /// where the profile times that submission; nothing for a read or an overwrite. tapdisk's one
  /// thread submits nothing else meanwhile.
  func submitterHeld(_ op: DiskOp, service: SimTime, at now: SimTime) -> SimTime {
    guard op.space != .none else { return .zero }
    if Self.drains(op) { return service }
    return allocatingSubmit == nil ? .zero : Swift.max(.zero, lastLetGo - now)
  }

  /// When `op`, ready at `ready`, may start: after every exclusive holder of its file that asked for
  /// the lock before it (and has not let go), and out of any that holds the lane then.
  mutating func shared(_ op: DiskOp, ready: SimTime) -> SimTime {
    let f = slot(op)
    var t = ready.nanoseconds
    for e in exclusive[f] where e.asked <= ready.nanoseconds { t = Swift.max(t, e.end) }
    return lanes[f].firstFree(at: SimTime(nanoseconds: t))
  }

  /// An I/O of `op`'s file is in flight until `end`: the file's draining ops wait for it.
  mutating func inFlight(_ op: DiskOp, until end: SimTime) {
    let f = slot(op)
    inFlightUntil[f] = Swift.max(inFlightUntil[f], end)
  }

  /// The index of `op`'s file, growing the tables on its first appearance.
  private mutating func slot(_ op: DiskOp) -> Int {
    let f = Int(Swift.max(-1, op.file)) + 1
    while lanes.count <= f {
      lanes.append(BusCalendar())
      inFlightUntil.append(.zero)
      exclusive.append([])
    }
    return f
  }

  /// Every distribution at its mean.
  public var deterministic: FileSystemAllocation {
    FileSystemAllocation(
      allocatingWrite: allocatingWrite.deterministic, allocatingSubmit: allocatingSubmit?.deterministic,
      punchHole: punchHole.deterministic)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// What a file system adds in front of the device for the sparse files of a file SR
/// (docs/simulation.md#file-system-allocation), as measured by `vhdsim disk calibrate` on a fresh
/// sparse file.
///
/// A write into a hole makes the file system allocate blocks (and, for a direct write, record the
/// extent as written when it completes); ext4 does such a direct write holding the file's inode lock
/// exclusively, while overwrites and reads take it shared. So each file (`DiskOp.file`) has a lane:
/// its allocating writes and hole punches are served there one at a time, each after the file's
/// shared I/O already under way has finished (the exclusive holder waits for the shared ones), and
/// the file's other I/O that asks after an exclusive one asked waits until that one is done: the
/// lock is fair, so a waiting writer is not overtaken by later readers. Ops of no known file share
/// one lane.
public struct FileSystemAllocation: Sendable, Equatable {
  /// Latency of a write into a hole, transfer excluded (it replaces the device's write latency).
  public var allocatingWrite: SizeClassLatency
  /// Time to punch a hole or grow the file: a block's zeroing on a sparse file (no data moves).
  public var punchHole: LatencyDistribution
  /// Per file (index `file + 1`; 0: no known file): the exclusive lane, and when the shared I/O
  /// begun so far ends. They grow when a new file first appears, not per request.
  var lanes: [BusCalendar] = []
  var sharedUntil: [SimTime] = []
  /// Per file, the exclusive ops not yet over: when each asked for the lock and when it ends.
  var exclusive: [[Hold]] = []

  /// An allocating write or punch: when it asked for its file's lock and when it lets go (ns).
  struct Hold: Sendable, Equatable {
    var asked: Int64
    var end: Int64
  }

  public init(allocatingWrite: SizeClassLatency, punchHole: LatencyDistribution) {
    self.allocatingWrite = allocatingWrite
    self.punchHole = punchHole
  }

  /// Holds the lane for `op` (an allocating write or a punch) from the first free time at or after
  /// `ready`, drawing its time at `u`; returns when it ends.
  mutating func serveExclusive(_ op: DiskOp, ready: SimTime, at u: Double, now: SimTime) -> SimTime {
    let ns =
      op.space == .punchesHole
      ? punchHole.value(at: u) : allocatingWrite.value(bytes: op.length, at: u)
    let f = slot(op)
    let end = lanes[f].reserve(
      ready: Swift.max(ready, sharedUntil[f]), duration: Int64(ns.rounded()), now: now)
    exclusive[f].removeAll { $0.end <= now.nanoseconds }
    exclusive[f].append(Hold(asked: ready.nanoseconds, end: end.nanoseconds))
    return end
  }

  /// When `op`, ready at `ready`, may start: after every allocating write or punch of its file that
  /// asked for the lock before it (and is not over), and out of any that holds the lane then.
  mutating func shared(_ op: DiskOp, ready: SimTime) -> SimTime {
    let f = slot(op)
    var t = ready.nanoseconds
    for e in exclusive[f] where e.asked <= ready.nanoseconds { t = Swift.max(t, e.end) }
    return lanes[f].firstFree(at: SimTime(nanoseconds: t))
  }

  /// A shared I/O of `op`'s file runs until `end`: the file's exclusive ones wait for it.
  mutating func sharedRuns(_ op: DiskOp, until end: SimTime) {
    let f = slot(op)
    sharedUntil[f] = Swift.max(sharedUntil[f], end)
  }

  /// The index of `op`'s file, growing the tables on its first appearance.
  private mutating func slot(_ op: DiskOp) -> Int {
    let f = Int(Swift.max(-1, op.file)) + 1
    while lanes.count <= f {
      lanes.append(BusCalendar())
      sharedUntil.append(.zero)
      exclusive.append([])
    }
    return f
  }

  /// Every distribution at its mean.
  public var deterministic: FileSystemAllocation {
    FileSystemAllocation(allocatingWrite: allocatingWrite.deterministic, punchHole: punchHole.deterministic)
  }
}

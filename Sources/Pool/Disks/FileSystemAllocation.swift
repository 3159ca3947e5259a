// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// What a file system adds in front of the device for the sparse files of a file SR
/// (docs/simulation.md#file-system-allocation), as measured by `vhdsim disk calibrate` on a fresh
/// sparse file.
///
/// A write into a hole makes the file system allocate blocks (and, for a direct write, record the
/// extent as written when it completes); ext4 does such a direct write holding the file's inode lock
/// exclusively, while overwrites and reads take it shared. So allocating writes and hole punches
/// are served one at a time on an exclusive `lane`, each after the shared I/O already under way has
/// finished (the exclusive holder waits for the shared ones), and every other I/O waits while the
/// lane is held. The lane is per device, not per file: a simplification that also stands for the
/// journal every allocation goes through.
public struct FileSystemAllocation: Sendable, Equatable {
  /// Latency of a write into a hole, transfer excluded (it replaces the device's write latency).
  public var allocatingWrite: SizeClassLatency
  /// Time to punch a hole or grow the file: a block's zeroing on a sparse file (no data moves).
  public var punchHole: LatencyDistribution
  var lane = BusCalendar()
  /// When the shared I/O begun so far ends.
  var sharedUntil = SimTime.zero

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
    return lane.reserve(
      ready: Swift.max(ready, sharedUntil), duration: Int64(ns.rounded()), now: now)
  }

  /// When an I/O ready at `ready` may start: after the allocating write or punch holding the lane.
  func shared(ready: SimTime) -> SimTime { lane.firstFree(at: ready) }

  /// A shared I/O runs until `end`: exclusive ones wait for it.
  mutating func sharedRuns(until end: SimTime) { sharedUntil = Swift.max(sharedUntil, end) }

  /// Every distribution at its mean.
  public var deterministic: FileSystemAllocation {
    FileSystemAllocation(allocatingWrite: allocatingWrite.deterministic, punchHole: punchHole.deterministic)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// One physical I/O as the disk sees it: a byte range on the device and its direction. The engine's
/// per-image offsets become these once the SR placement has mapped them onto the device.
public struct DiskOp: Equatable, Sendable {
  public var offset: UInt64
  public var length: UInt64
  public var isWrite: Bool
  /// What the write does to a file SR's sparse file: a model with a `FileSystemAllocation` charges
  /// allocating writes and hole punches by it; other models treat them as plain writes.
  public var space: SpaceChange
  /// The SR volume (file) the op belongs to, −1 when not known: a file system locks per file.
  public var file: Int32

  @inlinable
  public init(
    offset: UInt64, length: UInt64, isWrite: Bool, space: SpaceChange = .none, file: Int32 = -1
  ) {
    self.offset = offset
    self.length = length
    self.isWrite = isWrite
    self.space = space
    self.file = file
  }
}

/// A write's effect on the space of the file it lands in (docs/simulation.md#file-system-allocation).
public enum SpaceChange: UInt8, Sendable {
  /// Reads, and writes over blocks the file already has.
  case none
  /// A write into a hole: the file system allocates blocks for it.
  case allocates
  /// Zeroing (`writeZeros`): a sparse file punches a hole or grows; no data moves.
  case punchesHole
}

/// A physical device's timing: how long one unit of the device is busy serving one guest request's
/// physical I/Os.
///
/// The I/Os of one engine call depend on each other (the BAT entry says where the bitmap is, the bitmap
/// says which level holds the data), so a model serves the list in order on one unit. `parallelism` units
/// work side by side (SSD channels, an array's spindles, or 1 for a single disk arm); the `SimulatedDisk`
/// FIFO queues requests behind them. Models keep state (head position, rotation phase, shared buses)
/// because the cost of an I/O depends on what came before it, which is why this is a mutating call
/// made when service starts, not when the request arrives.
public protocol DiskModel: Sendable {
  /// Requests the device serves at once.
  var parallelism: Int { get }
  /// Bytes addressable on the device (placement must fit; seek distances are fractions of it).
  var capacityBytes: UInt64 { get set }
  /// Time one unit is busy serving `ops` in order, starting at `now`.
  mutating func serviceTime(_ ops: UnsafeBufferPointer<DiskOp>, at now: SimTime) -> SimTime
  /// Restarts the model's variates from `seed` (`PoolSimulation` passes the run's "disk" stream seed),
  /// so the same run seed draws the same service times.
  mutating func reseed(_ seed: UInt64)
  /// The same device without variability: every distribution at its mean (`variability: off`).
  var deterministic: Self { get }
  /// Whether the pool must ask for a request's I/Os one at a time, each when it starts: true for a
  /// model whose latency depends on what else is in flight then (docs/simulation.md#queue-depth-scaling),
  /// which asked for a whole request at its start would not see the I/Os other requests issue while
  /// its first one is served.
  var timesIOsAsTheyStart: Bool { get }
  /// How long submitting `op` keeps its submitter (tapdisk's one thread) in the system call, asked
  /// right after `serviceTime` served it alone from `now` in `service`: all of `service` where the
  /// file system makes the call wait for completion, the allocation under the inode lock for a write
  /// into a hole it does not make wait, zero for a plain submission (the caller charges its own
  /// per-submission time). Meanwhile the thread submits nothing else
  /// (docs/simulation.md#file-system-allocation). A read or an overwrite (`space == .none`), which
  /// the kernel never makes wait, may instead sit in a plugged submission and reach the device when
  /// the call ends; it is not asked then.
  func submitterHeld(_ op: DiskOp, service: SimTime, at now: SimTime) -> SimTime
  /// The next `count` I/Os served (`writes` of them writes) reach the device at this same instant, a
  /// plugged submission's burst: a model whose latency follows the I/Os in flight counts each of them
  /// as in flight with every other (docs/simulation.md#queue-depth-scaling).
  mutating func arriveTogether(count: Int, writes: Int)
  /// Whether the device completes the I/Os it holds in rounds, together
  /// (docs/simulation.md#completion-rounds), so the submitter's `io_getevents` collects them in one
  /// call.
  var completesInRounds: Bool { get }
  /// Where the device completes in rounds (docs/simulation.md#completion-rounds): when the round
  /// in service ends as it stands, and how many rounds have opened (a new number: the one before
  /// has ended).
  var roundEnd: SimTime { get }
  var roundSerial: Int { get }
}

extension DiskModel {
  public var timesIOsAsTheyStart: Bool { false }
  public func submitterHeld(_ op: DiskOp, service: SimTime, at now: SimTime) -> SimTime { .zero }
  public mutating func arriveTogether(count: Int, writes: Int) {}
  public var completesInRounds: Bool { false }
  public var roundEnd: SimTime { .zero }
  public var roundSerial: Int { 0 }

  /// Convenience for tests and tools.
  public mutating func serviceTime(_ ops: [DiskOp], at now: SimTime) -> SimTime {
    ops.withUnsafeBufferPointer { serviceTime($0, at: now) }
  }
}

/// Nanoseconds to move `bytes` at `bytesPerSecond`, rounded up so that nothing is free.
@inlinable
func transferNanoseconds(_ bytes: UInt64, _ bytesPerSecond: Double) -> Int64 {
  guard bytesPerSecond.isFinite, bytesPerSecond > 0 else { return 0 }
  return Int64((Double(bytes) * 1e9 / bytesPerSecond).rounded(.up))
}

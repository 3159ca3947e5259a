// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// One request a guest issues to its virtual disk, as the block layer sees it: what a workload hands the
/// pool, and what a trace line becomes.
///
/// A plain value of fixed size (no strings, no arrays) so generators produce it without allocating and a
/// driver can keep millions of them in flat arrays.
public struct GuestRequest: Hashable, Sendable, CustomStringConvertible {
  /// What the request does. Discards are not modelled: the VHD engine has nothing to free per sector,
  /// so parsers drop them and count them instead.
  public enum Operation: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case read, write
    /// A cache flush with no data (fsync/fdatasync reaching the disk, blkparse `FN`).
    case flush

    public var description: String {
      switch self {
      case .read: "read"
      case .write: "write"
      case .flush: "flush"
      }
    }
  }

  /// Modifiers that change what a write costs or guarantees: the kernel's REQ_FUA, REQ_PREFLUSH,
  /// REQ_SYNC and REQ_META, which blkparse shows in its RWBS column.
  public struct Flags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Forced unit access: this write is durable when it completes.
    public static let fua = Flags(rawValue: 1 << 0)
    /// Flush the cache before this request (REQ_PREFLUSH; journal commits).
    public static let preflush = Flags(rawValue: 1 << 1)
    /// Synchronous: someone waits for it (O_SYNC, fsync's data).
    public static let sync = Flags(rawValue: 1 << 2)
    /// File-system metadata.
    public static let metadata = Flags(rawValue: 1 << 3)
  }

  /// When the request is issued: an offset from the start of the stream (open loop, replay) or the
  /// time the generator was asked (closed loop, plus any think time).
  public var time: SimTime
  /// Position in issue order, from 0: ties in `time` keep this order.
  public var sequence: Int
  public var operation: Operation
  /// First 512-byte sector (0 for a flush).
  public var lba: UInt64
  /// Length in 512-byte sectors (0 for a flush).
  public var sectors: Int
  public var flags: Flags

  public init(
    time: SimTime, sequence: Int, operation: Operation, lba: UInt64, sectors: Int, flags: Flags = []
  ) {
    self.time = time
    self.sequence = sequence
    self.operation = operation
    self.lba = lba
    self.sectors = sectors
    self.flags = flags
  }

  /// Length in bytes.
  @inlinable public var bytes: Int { sectors * 512 }

  /// One past the last sector.
  @inlinable public var endLBA: UInt64 { lba + UInt64(sectors) }

  public var description: String {
    var text = "#\(sequence) @\(time.nanoseconds)ns \(operation) \(lba)+\(sectors)"
    if flags.contains(.preflush) { text += " preflush" }
    if flags.contains(.fua) { text += " fua" }
    if flags.contains(.sync) { text += " sync" }
    if flags.contains(.metadata) { text += " meta" }
    return text
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import VHD

/// The engine's I/O observer for the pool: it owns the SR placement, turns each physical I/O the engine
/// issues (per image, per level) into device I/Os, and counts them by kind for the request's metrics.
///
/// One tap serves every chain on the SR; before each engine call the pool points `levelVolumes` at the
/// calling tapdisk's level → volume table, so the hot path does no lookups by path.
public final class IOTap: IOObserver {
  public var placement: SRPlacement
  /// Volume of each chain level (0 = leaf) of the chain being called.
  public var levelVolumes: [Int] = []
  /// Device I/Os of the current engine call.
  public var ops: [DiskOp] = []
  /// Engine I/Os of the current call by `IOKind.rawValue * 2 + direction.rawValue`.
  public var counts = [Int](repeating: 0, count: IOTap.countSlots)
  public var bytes = [UInt64](repeating: 0, count: IOTap.countSlots)
  /// The first placement failure (the SR filled up); the pool stops the run with it.
  public var failure: PoolError?

  public static let countSlots = IOKind.allCases.count * 2

  public init(placement: SRPlacement) {
    self.placement = placement
    ops.reserveCapacity(64)
  }

  /// Clears the per-call state (keeps capacity).
  @inline(__always)
  public func begin(levels: [Int]) {
    levelVolumes = levels
    ops.removeAll(keepingCapacity: true)
    for i in 0..<counts.count {
      counts[i] = 0
      bytes[i] = 0
    }
  }

  public func observe(_ io: PhysicalIO) {
    let slot = Int(io.kind.rawValue) * 2 + Int(io.direction.rawValue)
    counts[slot] &+= 1
    bytes[slot] &+= io.length
    guard io.length > 0, io.level < levelVolumes.count else { return }
    do {
      try placement.translate(
        volume: levelVolumes[io.level], offset: io.offset, length: io.length, isWrite: io.direction == .write,
        into: &ops)
    } catch {
      if failure == nil { failure = error }
    }
  }
}

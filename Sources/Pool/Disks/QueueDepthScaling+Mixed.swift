// SPDX-License-Identifier: GPL-3.0-or-later

extension QueueDepthScaling {
  /// What a mixed job (random 4 KiB reads and writes together, one queue depth) measured, as factors
  /// over each direction's depth-1 latency, and the share of its I/Os in flight that were writes
  /// (docs/simulation.md#queue-depth-scaling).
  public struct MixedPoint: Sendable, Equatable {
    public var depth: Int
    /// Writes' share of the I/Os in flight, by Little's law (each direction's IOPS × mean latency).
    public var writeShare: Double
    public var read: Double
    public var write: Double

    public init(depth: Int, writeShare: Double, read: Double, write: Double) {
      self.depth = depth
      self.writeShare = writeShare
      self.read = read
      self.write = write
    }

    var isValid: Bool {
      depth > 1 && writeShare > 0 && writeShare < 1 && read.isFinite && read > 0 && write.isFinite
        && write > 0
    }
  }

  /// The mixed curve at `depth` (> 1; `mixed` not empty): linear between its points, flat beyond the
  /// deepest; below the first, factors from 1 at depth 1 (one I/O in flight has no mix) and the first
  /// point's write share.
  @inline(__always)
  func mixedPoint(at depth: Int) -> MixedPoint {
    var i = 0
    while i < mixed.count && mixed[i].depth < depth { i += 1 }
    if i == mixed.count { return mixed[i - 1] }
    let b = mixed[i]
    let a = i == 0 ? MixedPoint(depth: 1, writeShare: b.writeShare, read: 1, write: 1) : mixed[i - 1]
    let t = Double(depth - a.depth) / Double(b.depth - a.depth)
    return MixedPoint(
      depth: depth, writeShare: a.writeShare + (b.writeShare - a.writeShare) * t,
      read: a.read + (b.read - a.read) * t, write: a.write + (b.write - a.write) * t)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// How a device's per-I/O latency grows with the I/Os it has in flight
/// (docs/simulation.md#queue-depth-scaling), per direction: at `n` in flight (the I/O included), the
/// latency drawn from the depth-1 distribution is multiplied by `factor(n)`, linear between the
/// measured depths and flat beyond the deepest.
///
/// Why: a virtual disk (virtio over a host's I/O thread), and many real devices, do not behave as a
/// fixed number of independent units each as fast as at depth 1. Measured here with fio, random 4 KiB
/// reads take 92 µs at depth 1, 209 µs at depth 8 and 525 µs at depth 32, so depth 8 gives 38k IOPS,
/// half what seven depth-1 units would. Calibration measures the factor as each job's mean latency by
/// Little's law (depth / IOPS) over the depth-1 job's, so a closed loop at a measured depth gets the
/// measured IOPS back.
public struct QueueDepthScaling: Sendable, Equatable {
  /// Per direction, (I/Os in flight, factor) by increasing depth; the first point is (1, 1).
  public var read: [Point]
  public var write: [Point]

  public struct Point: Sendable, Equatable {
    public var depth: Int
    public var factor: Double

    public init(depth: Int, factor: Double) {
      self.depth = depth
      self.factor = factor
    }
  }

  /// Nil unless both curves start at (1, 1), rise strictly in depth and have positive, finite
  /// factors (a factor below 1 is allowed: some devices serve a deeper queue faster per I/O).
  public init?(read: [Point], write: [Point]) {
    for curve in [read, write] {
      guard let first = curve.first, first.depth == 1, first.factor == 1 else { return nil }
      for (a, b) in zip(curve, curve.dropFirst()) where b.depth <= a.depth { return nil }
      for p in curve where !(p.factor.isFinite && p.factor > 0) { return nil }
    }
    self.read = read
    self.write = write
  }

  /// The deepest measured depth (either direction).
  public var deepest: Int { Swift.max(read.last!.depth, write.last!.depth) }

  /// The latency factor for an I/O of `isWrite` with `inFlight` I/Os on the device, itself included.
  @inline(__always)
  public func factor(isWrite: Bool, inFlight: Int) -> Double {
    let curve = isWrite ? write : read
    guard inFlight > 1 else { return 1 }
    var i = 1
    while i < curve.count && curve[i].depth < inFlight { i += 1 }
    if i == curve.count { return curve[i - 1].factor }
    let a = curve[i - 1]
    let b = curve[i]
    return a.factor + (b.factor - a.factor) * Double(inFlight - a.depth) / Double(b.depth - a.depth)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// How a device's per-I/O latency grows with the I/Os it has in flight
/// (docs/simulation.md#queue-depth-scaling), per direction: at `n` in flight (the I/O included), the
/// latency drawn from the depth-1 distribution is multiplied by `factor(n)`, linear between the
/// measured depths and flat beyond the deepest. With a `mixed` curve the factor also depends on how
/// many of those `n` are writes.
///
/// Why: a virtual disk (virtio over a host's I/O thread), and many real devices, do not behave as a
/// fixed number of independent units each as fast as at depth 1. Measured here with fio, random 4 KiB
/// reads take 92 µs at depth 1, 209 µs at depth 8 and 525 µs at depth 32, so depth 8 gives 38k IOPS,
/// half what seven depth-1 units would. Calibration measures the factor as each job's mean latency by
/// Little's law (depth / IOPS) over the depth-1 job's, so a closed loop at a measured depth gets the
/// measured IOPS back. Reads and writes together are slower again than either alone (on the
/// development VM, 6 December 2026, a 70/30 mix at depth 8 took 148 µs a read against 103 µs for
/// reads alone): the `mixed` curve, from fio's mixed jobs, carries that.
public struct QueueDepthScaling: Sendable, Equatable {
  /// Per direction, (I/Os in flight, factor) by increasing depth; the first point is (1, 1).
  public var read: [Point]
  public var write: [Point]
  /// A mixed job's factors by increasing depth (each deeper than 1); empty: reads and writes in flight
  /// count alike.
  public var mixed: [MixedPoint]

  public struct Point: Sendable, Equatable {
    public var depth: Int
    public var factor: Double

    public init(depth: Int, factor: Double) {
      self.depth = depth
      self.factor = factor
    }
  }

  /// Nil unless both curves start at (1, 1), rise strictly in depth and have positive, finite
  /// factors (a factor below 1 is allowed: some devices serve a deeper queue faster per I/O), and the
  /// mixed points rise strictly in depth from above 1 with positive, finite factors and a write share
  /// strictly between 0 and 1.
  public init?(read: [Point], write: [Point], mixed: [MixedPoint] = []) {
    for curve in [read, write] {
      guard let first = curve.first, first.depth == 1, first.factor == 1 else { return nil }
      for (a, b) in zip(curve, curve.dropFirst()) where b.depth <= a.depth { return nil }
      for p in curve where !(p.factor.isFinite && p.factor > 0) { return nil }
    }
    guard mixed.allSatisfy(\.isValid), mixed.first.map({ $0.depth > 1 }) ?? true else { return nil }
    for (a, b) in zip(mixed, mixed.dropFirst()) where b.depth <= a.depth { return nil }
    self.read = read
    self.write = write
    self.mixed = mixed
  }

  /// The deepest measured depth (either direction).
  public var deepest: Int { Swift.max(read.last!.depth, write.last!.depth) }

  /// The latency factor for an I/O of `isWrite` with `inFlight` I/Os on the device, itself included,
  /// counting reads and writes alike (the single-direction curves).
  @inline(__always)
  public func factor(isWrite: Bool, inFlight: Int) -> Double {
    Self.interpolate(isWrite ? write : read, at: inFlight)
  }

  /// The latency factor for an I/O of `isWrite` with `inFlight` I/Os on the device, itself included,
  /// `writes` of them writes (docs/simulation.md#queue-depth-scaling). A read's factor goes from its
  /// single-direction curve's (no write in flight) to the mixed curve's as the write share rises to
  /// the mixed job's, and stays there above it; a write's likewise as the read share rises to the
  /// mixed job's.
  @inline(__always)
  public func factor(isWrite: Bool, inFlight: Int, writes: Int) -> Double {
    let single = factor(isWrite: isWrite, inFlight: inFlight)
    guard inFlight > 1, !mixed.isEmpty else { return single }
    let m = mixedPoint(at: inFlight)
    let share = Double(writes) / Double(inFlight)
    let weight =
      isWrite
      ? Swift.min(1, (1 - share) / (1 - m.writeShare)) : Swift.min(1, share / m.writeShare)
    return single + ((isWrite ? m.write : m.read) - single) * weight
  }

  /// `curve`'s factor at `depth`: linear between its points, flat beyond the deepest.
  @inline(__always)
  static func interpolate(_ curve: [Point], at depth: Int) -> Double {
    guard depth > 1 else { return 1 }
    var i = 1
    while i < curve.count && curve[i].depth < depth { i += 1 }
    if i == curve.count { return curve[i - 1].factor }
    let a = curve[i - 1]
    let b = curve[i]
    return a.factor + (b.factor - a.factor) * Double(depth - a.depth) / Double(b.depth - a.depth)
  }
}

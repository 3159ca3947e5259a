// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// One operation's fixed latency by request size: a distribution per size class (fio's 4 KiB, 64 KiB
/// and 1 MiB), the transfer itself excluded (the model adds it on its bus).
///
/// An I/O between two classes takes both classes' values at the same quantile and interpolates
/// linearly in size (one variate, so the result stays a proper draw); below the smallest class or
/// above the largest it takes that class's value. A single class is a size-independent latency.
public struct SizeClassLatency: Sendable, Equatable {
  public struct SizeClass: Sendable, Equatable {
    public var bytes: UInt64
    public var latency: LatencyDistribution
    public init(bytes: UInt64, latency: LatencyDistribution) {
      self.bytes = bytes
      self.latency = latency
    }
  }

  /// Sorted by `bytes`, at least one.
  public let classes: [SizeClass]

  /// Classes in any order; nil when empty or when two classes have the same size.
  public init?(_ classes: [SizeClass]) {
    let sorted = classes.sorted { $0.bytes < $1.bytes }
    guard !sorted.isEmpty, zip(sorted, sorted.dropFirst()).allSatisfy({ $0.bytes < $1.bytes }) else {
      return nil
    }
    self.classes = sorted
  }

  /// One size-independent distribution.
  public init(_ latency: LatencyDistribution) {
    classes = [SizeClass(bytes: 4096, latency: latency)]
  }

  /// The latency of an I/O of `bytes` at quantile `u`, nanoseconds.
  @inlinable
  public func value(bytes: UInt64, at u: Double) -> Double {
    if bytes <= classes[0].bytes || classes.count == 1 { return classes[0].latency.value(at: u) }
    var i = 1
    while i < classes.count && classes[i].bytes < bytes { i += 1 }
    if i == classes.count { return classes[i - 1].latency.value(at: u) }
    let a = classes[i - 1]
    let b = classes[i]
    let f = Double(bytes - a.bytes) / Double(b.bytes - a.bytes)
    let va = a.latency.value(at: u)
    return va + f * (b.latency.value(at: u) - va)
  }

  /// Every class without its spread (`variability: off`).
  public var deterministic: SizeClassLatency {
    SizeClassLatency(checked: classes.map { SizeClass(bytes: $0.bytes, latency: $0.latency.deterministic) })
  }

  private init(checked: [SizeClass]) { classes = checked }
}

/// Occasional long write delays (garbage collection inside a flash device, a full write buffer): each
/// write stalls with `probability` for a time drawn from `duration`. Off unless a profile sets it.
public struct WriteStall: Sendable, Equatable {
  public var probability: Double
  public var duration: LatencyDistribution
  public init(probability: Double, duration: LatencyDistribution) {
    self.probability = probability
    self.duration = duration
  }
}

/// The uniform variates a disk model draws, from its own named stream: SplitMix64 seeded with
/// `RandomStream.seed(scenario:replication:stream:)` for the stream "disk" (`PoolSimulation` seeds it;
/// `seed(_:)`). A value type, so a model stays a `Sendable` struct that copies with its state and
/// draws without allocating; GSL's generator is a class and cannot live in one.
public struct DiskVariates: Sendable {
  @usableFromInline var generator: IteratedSplitMix64

  public init(seed: UInt64 = 0x6469_736B) { generator = IteratedSplitMix64(state: seed) }

  /// Uniform on (0, 1), 53-bit resolution: never 0 or 1, so every quantile function is finite.
  @inlinable
  public mutating func uniform() -> Double {
    (Double(generator.next() >> 11) + 0.5) * 0x1p-53
  }

  /// A sub-stream for a component (an iSCSI model's backend), derived so the two never coincide.
  public func derived(_ salt: UInt64) -> DiskVariates {
    DiskVariates(seed: SplitMix64.mix(generator.state ^ salt))
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import Workloads

/// The built-in guest workload of a VM: what fio would be told (pattern, read mix, block size, queue
/// depth or arrival rate). Requests are 4 KiB aligned because guests' page caches issue them so, and
/// because misaligned requests would measure the guest, not the chain.
public struct WorkloadSpec: Sendable, Equatable {
  public enum Pattern: String, Sendable, CaseIterable { case random, sequential }

  /// How requests arrive.
  public enum Arrivals: Sendable, Equatable {
    /// `ioDepth` requests always outstanding: each completion issues the next (fio's iodepth).
    case closedLoop(ioDepth: Int)
    /// Poisson arrivals at `ratePerSecond`, independent of completions (an open system: queues can grow).
    case openLoop(ratePerSecond: Double)
  }

  public var pattern: Pattern
  /// Probability that a request is a read.
  public var readFraction: Double
  /// Bytes per request, a positive multiple of 4096.
  public var requestBytes: Int
  public var arrivals: Arrivals
  /// Byte range of the virtual disk the workload touches (nil: the whole disk).
  public var region: Range<UInt64>?

  public init(
    pattern: Pattern = .random, readFraction: Double = 1, requestBytes: Int = 4096,
    arrivals: Arrivals = .closedLoop(ioDepth: 1), region: Range<UInt64>? = nil
  ) {
    self.pattern = pattern
    self.readFraction = readFraction
    self.requestBytes = requestBytes
    self.arrivals = arrivals
    self.region = region
  }

  func validate(virtualSize: UInt64) throws(PoolError) {
    guard requestBytes > 0, requestBytes % 4096 == 0 else {
      throw PoolError("workload request size \(requestBytes) is not a positive multiple of 4096")
    }
    guard (0...1).contains(readFraction) else {
      throw PoolError("workload read fraction \(readFraction) is not in 0...1")
    }
    switch arrivals {
    case .closedLoop(let d) where d < 1: throw PoolError("workload I/O depth \(d) must be at least 1")
    case .openLoop(let r) where !(r > 0 && r.isFinite):
      throw PoolError("workload arrival rate \(r) must be positive")
    default: break
    }
    let r = region ?? 0..<virtualSize
    guard r.upperBound <= virtualSize, r.lowerBound % 4096 == 0,
      r.upperBound - r.lowerBound >= UInt64(requestBytes)
    else {
      throw PoolError(
        "workload region \(r) does not fit a \(requestBytes)-byte request in a \(virtualSize)-byte disk")
    }
  }
}

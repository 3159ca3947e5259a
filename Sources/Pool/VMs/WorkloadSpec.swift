// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import Workloads

/// The built-in guest workload of a VM: what fio would be told (pattern, read mix, block size or size
/// mix, address distribution, queue depth or arrival rate). Requests are 4 KiB aligned because
/// guests' page caches issue them so, and because misaligned requests would measure the guest, not
/// the chain.
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
  /// Bytes per request, a positive multiple of 4096 (used when `sizes` is nil).
  public var requestBytes: Int
  /// Request sizes drawn per request (fio's bssplit), each a multiple of 4096; nil: every request is
  /// `requestBytes` and no size is drawn (so a one-size workload's random draws are unchanged).
  public var sizes: SizeMix?
  /// Where a random-pattern request starts: a 4 KiB page drawn from this distribution
  /// (`Workloads.AddressSampler`); `.uniform` draws exactly what the one-size workload always drew.
  /// Only `.uniform`, `.zipf` and `.hotSet` are accepted (a sequential pattern is `pattern`).
  public var address: AddressDistribution
  public var arrivals: Arrivals
  /// Byte range of the virtual disk the workload touches (nil: the whole disk).
  public var region: Range<UInt64>?

  public init(
    pattern: Pattern = .random, readFraction: Double = 1, requestBytes: Int = 4096, sizes: SizeMix? = nil,
    address: AddressDistribution = .uniform, arrivals: Arrivals = .closedLoop(ioDepth: 1),
    region: Range<UInt64>? = nil
  ) {
    self.pattern = pattern
    self.readFraction = readFraction
    self.requestBytes = requestBytes
    self.sizes = sizes
    self.address = address
    self.arrivals = arrivals
    self.region = region
  }

  /// The size distribution in force: `sizes`, or the single `requestBytes`.
  public var sizeMix: SizeMix { sizes ?? SizeMix(bytes: requestBytes) }

  /// The largest request (what the region must leave room for at its last position).
  public var largestRequestBytes: Int { sizes?.maximumBytes ?? requestBytes }

  func validate(virtualSize: UInt64) throws(PoolError) {
    guard requestBytes > 0, requestBytes % 4096 == 0 else {
      throw PoolError("workload request size \(requestBytes) is not a positive multiple of 4096")
    }
    if let sizes, let bad = sizes.entries.first(where: { $0.bytes % 4096 != 0 }) {
      throw PoolError("workload size mix \(sizes): \(bad.bytes) bytes is not a multiple of 4096")
    }
    guard (0...1).contains(readFraction) else {
      throw PoolError("workload read fraction \(readFraction) is not in 0...1")
    }
    switch address {
    case .uniform, .zipf, .hotSet: break
    case .pareto, .sequential:
      throw PoolError("workload address \(address) is not one of uniform, zipf, hot set")
    }
    if let problem = address.problem { throw PoolError("workload address: \(problem)") }
    switch arrivals {
    case .closedLoop(let d) where d < 1: throw PoolError("workload I/O depth \(d) must be at least 1")
    case .openLoop(let r) where !(r > 0 && r.isFinite):
      throw PoolError("workload arrival rate \(r) must be positive")
    default: break
    }
    let r = region ?? 0..<virtualSize
    let largest = UInt64(largestRequestBytes)
    guard r.upperBound <= virtualSize, r.lowerBound % 4096 == 0, r.upperBound - r.lowerBound >= largest
    else {
      throw PoolError(
        "workload region \(r) does not fit a \(largest)-byte request in a \(virtualSize)-byte disk")
    }
    if case .hotSet = address, (r.upperBound - r.lowerBound - largest) / 4096 + 1 < 2 {
      throw PoolError("workload region \(r) is too small for a hot set (it needs two request positions)")
    }
  }

  /// The sampler of random-pattern start pages over `virtualSize` bytes (after `validate`).
  func addressSampler(virtualSize: UInt64) throws(PoolError) -> AddressSampler {
    let r = region ?? 0..<virtualSize
    do {
      return try AddressSampler(
        distribution: address, alignment: .aligned4K, region: (r.lowerBound / 512)..<(r.upperBound / 512),
        maximumRequestSectors: largestRequestBytes / 512)
    } catch {
      throw PoolError("workload address: \(error)")
    }
  }
}

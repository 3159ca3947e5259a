// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// Everything a synthetic workload is told, the way one would write an fio job: pacing, sizes, read
/// mix, flush and FUA behaviour, alignment and locality, and where on the disk.
public struct SyntheticWorkload: Hashable, Sendable {
  public var arrivals: ArrivalProcess
  public var sizes: SizeMix
  /// Probability that a data request is a read.
  public var readFraction: Double
  /// Probability that a request is a data-less flush instead of a data request (fsync traffic).
  public var flushProbability: Double
  /// Probability that a write carries FUA.
  public var fuaProbability: Double
  /// Probability that a write is marked synchronous.
  public var syncProbability: Double
  public var alignment: Alignment
  public var address: AddressDistribution
  /// Sectors the workload may touch (usually the whole virtual disk).
  public var region: Range<UInt64>
  /// Stop after this many requests (nil: never).
  public var requestLimit: Int?

  public init(
    arrivals: ArrivalProcess = .closedLoop(ioDepth: 1), sizes: SizeMix = SizeMix(bytes: 4096),
    readFraction: Double = 0.7, flushProbability: Double = 0, fuaProbability: Double = 0,
    syncProbability: Double = 0, alignment: Alignment = .aligned4K, address: AddressDistribution = .uniform,
    region: Range<UInt64>, requestLimit: Int? = nil
  ) {
    self.arrivals = arrivals
    self.sizes = sizes
    self.readFraction = readFraction
    self.flushProbability = flushProbability
    self.fuaProbability = fuaProbability
    self.syncProbability = syncProbability
    self.alignment = alignment
    self.address = address
    self.region = region
    self.requestLimit = requestLimit
  }
}

/// Generates a ``SyntheticWorkload``: one draw per purpose from its own stream, no allocation per
/// request.
///
/// Holds its random streams by reference (GSL state), so copies of a generator share them: make one
/// generator per VM and replication, never copy one to "fork" it.
public struct SyntheticGenerator: RequestGenerator {
  public let workload: SyntheticWorkload
  let streams: WorkloadStreams
  var clock: ArrivalClock
  let sizeSampler: SizeSampler
  var addresses: AddressSampler
  /// Requests issued so far.
  public private(set) var issued = 0

  public init(_ workload: SyntheticWorkload, streams: WorkloadStreams) throws(WorkloadError) {
    if let problem = workload.arrivals.problem { throw WorkloadError(problem) }
    for (name, p) in [
      ("read fraction", workload.readFraction), ("flush probability", workload.flushProbability),
      ("FUA probability", workload.fuaProbability), ("sync probability", workload.syncProbability),
    ] where !(0...1).contains(p) {
      throw WorkloadError("\(name) \(p) is not in 0...1")
    }
    if let limit = workload.requestLimit, limit < 0 {
      throw WorkloadError("request limit \(limit) must not be negative")
    }
    self.workload = workload
    self.streams = streams
    clock = ArrivalClock(process: workload.arrivals, random: streams.arrivals)
    sizeSampler = SizeSampler(mix: workload.sizes)
    addresses = try AddressSampler(
      distribution: workload.address, alignment: workload.alignment, region: workload.region,
      maximumRequestSectors: workload.sizes.maximumBytes / 512)
  }

  public var loop: LoopKind { workload.arrivals.loop }

  public mutating func next(now: SimTime) -> GuestRequest? {
    if let limit = workload.requestLimit, issued >= limit { return nil }
    let time = clock.nextTime(now: now)
    defer { issued += 1 }
    if workload.flushProbability > 0 && streams.operations.uniform() < workload.flushProbability {
      return GuestRequest(time: time, sequence: issued, operation: .flush, lba: 0, sectors: 0)
    }
    let isRead =
      workload.readFraction >= 1
      ? true
      : workload.readFraction <= 0
        ? false
        : streams.operations.uniform() < workload.readFraction
    let sectors = sizeSampler.sample(streams.sizes) / 512
    let lba = addresses.nextStart(
      sectors: sectors, addresses: streams.addresses, alignment: streams.alignment)
    var flags: GuestRequest.Flags = []
    if !isRead {
      if workload.fuaProbability > 0 && streams.flags.uniform() < workload.fuaProbability {
        flags.insert(.fua)
      }
      if workload.syncProbability > 0 && streams.flags.uniform() < workload.syncProbability {
        flags.insert(.sync)
      }
    }
    return GuestRequest(
      time: time, sequence: issued, operation: isRead ? .read : .write, lba: lba, sectors: sectors,
      flags: flags)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// Draws in bulk what an open-loop workload's requests of one interval do to a disk: how many reads
/// and writes there are, and which sectors of which blocks the writes cover, from the same size and
/// address distributions the request-level generator uses (docs/simulation.md#epoch-resolution).
///
/// Exactness: requests arrive as a Poisson process at `rate`, each independently a read with
/// probability `readFraction`, so over an interval of length t the number of writes is
/// Poisson(rate·(1 − readFraction)·t), independent of the number of reads (Poisson thinning), and
/// given their number the writes' sizes and start pages are independent draws in random time order.
/// Drawing the count and then each write's size and page is therefore exactly the request-level
/// distribution of the interval's write set, including the order in which blocks are first touched
/// and writes that cross a block boundary. A sequential workload's requests all advance the same
/// cursor, so it draws the total count and walks the requests, thinning writes per request.
///
/// Cost: O(writes) (O(requests) for sequential), a size draw, a page draw and a few word operations
/// per write; no allocation once the ``EpochWriteSet`` has grown to the interval's touched blocks.
public struct EpochWriteSampler {
  /// Random or sequential placement (the built-in workload's `pattern`).
  public enum Placement {
    /// Start pages drawn from this sampler (uniform, Zipf, hot set, Pareto).
    case random(AddressSampler)
    /// Requests follow each other from the region start, wrapping where the largest size no longer
    /// fits: the built-in workload's sequential cursor.
    case sequential
  }

  public let placement: Placement
  let sizes: SizeSampler?
  let fixedSectors: Int
  /// First sector of the region and number of 4 KiB positions where the largest request fits.
  let firstSector: UInt64
  let positions: Int
  /// The virtual disk's size in sectors.
  public let diskSectors: UInt64
  /// The sequential cursor, in 4 KiB positions.
  var nextPosition = 0
  /// The last interval's writes.
  public var writes: EpochWriteSet

  /// - Parameters:
  ///   - sizes: request sizes (multiples of 4096 bytes); a one-entry mix draws nothing.
  ///   - region: sectors the requests stay within, 4 KiB aligned at the start.
  ///   - diskSectors: the virtual disk's size (for the per-block storage).
  public init(
    placement: Placement, sizes: SizeMix, region: Range<UInt64>, diskSectors: UInt64
  ) throws(WorkloadError) {
    if let bad = sizes.entries.first(where: { $0.bytes % 4096 != 0 }) {
      throw WorkloadError("epoch sampling needs sizes that are multiples of 4 KiB, found \(bad.bytes) bytes")
    }
    let largest = UInt64(sizes.maximumBytes / 512)
    guard region.lowerBound % 8 == 0, region.upperBound <= diskSectors,
      region.upperBound - region.lowerBound >= largest
    else {
      throw WorkloadError(
        "region \(region) cannot hold a \(largest)-sector request on a \(diskSectors)-sector disk")
    }
    self.placement = placement
    self.sizes = sizes.entries.count == 1 ? nil : SizeSampler(mix: sizes)
    fixedSectors = sizes.entries[0].bytes / 512
    firstSector = region.lowerBound
    positions = Int((region.upperBound - region.lowerBound - largest) / 8) + 1
    self.diskSectors = diskSectors
    writes = EpochWriteSet(diskSectors: diskSectors)
  }

  /// Draws one interval with `expectedRequests` requests on average (rate × length); `writes`
  /// then holds its writes. Returns the numbers of reads and writes.
  public mutating func sample(expectedRequests: Double, readFraction: Double, random: RandomStream)
    -> (reads: Int, writes: Int)
  {
    writes.removeAll()
    switch placement {
    case .random(let addresses):
      let reads = random.poisson(mean: expectedRequests * readFraction)
      let count = random.poisson(mean: expectedRequests * (1 - readFraction))
      for _ in 0..<count {
        let sectors = sizes.map { $0.sample(random) / 512 } ?? fixedSectors
        writes.add(sector: firstSector + UInt64(addresses.samplePage(random)) * 8, count: sectors)
      }
      return (reads, count)
    case .sequential:
      let total = random.poisson(mean: expectedRequests)
      var reads = 0
      for _ in 0..<total {
        let isWrite = readFraction >= 1 ? false : random.uniform() >= readFraction
        let sectors = sizes.map { $0.sample(random) / 512 } ?? fixedSectors
        if isWrite {
          writes.add(sector: firstSector + UInt64(nextPosition) * 8, count: sectors)
        } else {
          reads += 1
        }
        nextPosition += sectors / 8
        if nextPosition >= positions { nextPosition = 0 }
      }
      return (reads, total - reads)
    }
  }

  /// A read request (start sector, sectors) drawn from the workload's distributions, for estimating
  /// lookups per read from a sample. Sequential reads are drawn uniformly over the region (their
  /// cursor order is not reproduced: see docs/simulation.md#epoch-resolution).
  public func sampleRead(_ random: RandomStream) -> (sector: UInt64, sectors: Int) {
    let sectors = sizes.map { $0.sample(random) / 512 } ?? fixedSectors
    let page: Int
    switch placement {
    case .random(let addresses): page = addresses.samplePage(random)
    case .sequential: page = random.uniformInt(positions)
    }
    return (firstSector + UInt64(page) * 8, sectors)
  }
}

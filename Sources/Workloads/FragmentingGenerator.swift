// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// Small writes scattered across many 2 MiB blocks: the worst case for a snapshot chain, since each write
/// allocates (or dirties) a block in the leaf without filling it, so later reads walk partial bitmaps
/// and a coalesce copies many nearly empty blocks.
public struct FragmentingWorkload: Hashable, Sendable {
  public var arrivals: ArrivalProcess
  /// Sizes of the writes (small: 4 KiB by default).
  public var sizes: SizeMix
  public var alignment: Alignment
  /// Sectors of the disk; must hold at least one whole 2 MiB block.
  public var diskSectors: UInt64
  /// How many blocks the writes spread over, evenly spaced across the disk (nil: every block).
  public var spreadBlocks: Int?
  public var requestLimit: Int?

  public init(
    arrivals: ArrivalProcess = .closedLoop(ioDepth: 1), sizes: SizeMix = SizeMix(bytes: 4096),
    alignment: Alignment = .aligned4K, diskSectors: UInt64, spreadBlocks: Int? = nil,
    requestLimit: Int? = nil
  ) {
    self.arrivals = arrivals
    self.sizes = sizes
    self.alignment = alignment
    self.diskSectors = diskSectors
    self.spreadBlocks = spreadBlocks
    self.requestLimit = requestLimit
  }
}

/// Generates a ``FragmentingWorkload`` and records, per block, which sectors it wrote
/// (``coverage``), so a run can report what fraction of the blocks it touched ended full.
///
/// Each write stays inside one block: a block is drawn uniformly from the spread, then a start inside it
/// (4 KiB aligned, or any sector) that leaves room for the write.
public struct FragmentingGenerator: RequestGenerator {
  public let workload: FragmentingWorkload
  let streams: WorkloadStreams
  var clock: ArrivalClock
  let sizeSampler: SizeSampler
  let spread: Int
  let blockStep: Int
  public private(set) var coverage: BlockCoverage
  public private(set) var issued = 0

  public init(_ workload: FragmentingWorkload, streams: WorkloadStreams) throws(WorkloadError) {
    if let problem = workload.arrivals.problem { throw WorkloadError(problem) }
    let blocks = Int(workload.diskSectors / UInt64(BlockCoverage.sectorsPerBlock))
    guard blocks >= 1 else { throw WorkloadError("the disk must hold at least one whole 2 MiB block") }
    let spread = workload.spreadBlocks ?? blocks
    guard spread >= 1, spread <= blocks else {
      throw WorkloadError("spread of \(spread) blocks is not in 1...\(blocks)")
    }
    guard workload.sizes.maximumBytes <= BlockCoverage.sectorsPerBlock * 512 - 3584 else {
      throw WorkloadError("fragmenting writes must be smaller than a 2 MiB block")
    }
    self.workload = workload
    self.streams = streams
    clock = ArrivalClock(process: workload.arrivals, random: streams.arrivals)
    sizeSampler = SizeSampler(mix: workload.sizes)
    self.spread = spread
    blockStep = blocks / spread
    coverage = BlockCoverage(diskSectors: workload.diskSectors)
  }

  public var loop: LoopKind { workload.arrivals.loop }

  public mutating func next(now: SimTime) -> GuestRequest? {
    if let limit = workload.requestLimit, issued >= limit { return nil }
    let time = clock.nextTime(now: now)
    let sectors = sizeSampler.sample(streams.sizes) / 512
    let block = streams.addresses.uniformInt(spread) * blockStep
    let offset: Int
    switch workload.alignment {
    case .aligned4K:
      offset = streams.addresses.uniformInt((BlockCoverage.sectorsPerBlock - sectors) / 8 + 1) * 8
    case .sectorUnaligned:
      offset = streams.addresses.uniformInt(BlockCoverage.sectorsPerBlock - sectors + 1)
    }
    let lba = UInt64(block * BlockCoverage.sectorsPerBlock + offset)
    coverage.recordWrite(lba: lba, sectors: sectors)
    defer { issued += 1 }
    return GuestRequest(time: time, sequence: issued, operation: .write, lba: lba, sectors: sectors)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// Work done at one chain level for one guest request. These are the counts the simulator turns
/// into time and that regression benchmarks compare exactly.
public struct LevelWork: Equatable, Sendable {
  /// BAT entries looked at (one per block segment that reached this level).
  public var batProbes = 0
  /// Bitmap consults answered by the bitmap cache.
  public var bitmapCacheHits = 0
  /// Bitmap consults that read the bitmap from the device.
  public var bitmapReads = 0
  /// Block segments served without a bitmap consult because the BATmap says the block is full.
  public var batmapShortcuts = 0
  /// Sectors whose data this level supplied (reads) or stored (writes).
  public var sectorsServed = 0

  public init() {}

  public var bitmapConsults: Int { bitmapCacheHits + bitmapReads }

  /// Adds another level's counts (totals over levels, or over a run's requests).
  public static func += (a: inout LevelWork, b: LevelWork) {
    a.batProbes += b.batProbes
    a.bitmapCacheHits += b.bitmapCacheHits
    a.bitmapReads += b.bitmapReads
    a.batmapShortcuts += b.batmapShortcuts
    a.sectorsServed += b.sectorsServed
  }
}

/// Per-request accounting, reused across requests so the hot path allocates nothing: call
/// `reset(depth:)` (the chain does) and read the counters after the call.
public struct RequestAccounting: Equatable, Sendable {
  /// Index 0 is the leaf.
  public internal(set) var levels: [LevelWork] = []
  /// Sectors no level held (read as zeros).
  public var zeroFilledSectors = 0
  /// Blocks allocated by a write.
  public var blocksAllocated = 0
  /// Bitmap sectors written back (a write that set new bits).
  public var bitmapWrites = 0
  /// BATmap bits set because a block became full.
  public var batmapBitsSet = 0
  /// When true, `servedRuns` lists (level, first sector, count) of every run served; level −1
  /// is a zero-filled run. Off by default: the list costs appends.
  public var recordRuns = false
  public private(set) var servedRuns: [(level: Int, sector: UInt64, count: Int)] = []

  public init(depth: Int = 1) { levels = Array(repeating: LevelWork(), count: depth) }

  /// Clears every counter for a chain of `depth` levels (no allocation when the depth is unchanged).
  public mutating func reset(depth: Int) {
    if levels.count != depth {
      levels = Array(repeating: LevelWork(), count: depth)
    } else {
      for i in levels.indices { levels[i] = LevelWork() }
    }
    zeroFilledSectors = 0
    blocksAllocated = 0
    bitmapWrites = 0
    batmapBitsSet = 0
    servedRuns.removeAll(keepingCapacity: true)
  }

  @inline(__always)
  mutating func run(level: Int, sector: UInt64, count: Int) {
    if level >= 0 { levels[level].sectorsServed += count } else { zeroFilledSectors += count }
    if recordRuns { servedRuns.append((level, sector, count)) }
  }

  /// Levels that did any work (BAT probe, bitmap consult or served sectors).
  public var levelsProbed: Int {
    levels.lastIndex { $0.batProbes > 0 || $0.sectorsServed > 0 }.map { $0 + 1 } ?? 0
  }

  /// Sum over levels.
  public var total: LevelWork {
    var t = LevelWork()
    for l in levels { t += l }
    return t
  }

  public static func == (a: RequestAccounting, b: RequestAccounting) -> Bool {
    a.levels == b.levels && a.zeroFilledSectors == b.zeroFilledSectors
      && a.blocksAllocated == b.blocksAllocated && a.bitmapWrites == b.bitmapWrites
      && a.batmapBitsSet == b.batmapBitsSet
  }
}

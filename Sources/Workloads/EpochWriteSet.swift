// SPDX-License-Identifier: GPL-3.0-or-later

/// The writes of one interval of one VM gathered per 2 MiB block: which sectors of each block they
/// covered (a mask in the engine's bitmap order) and the order in which the writes first touched the
/// blocks, which is the order a request-level run would have allocated them in
/// (docs/simulation.md#epoch-resolution).
///
/// Storage is reused from interval to interval: a slot index per disk block (4 bytes a block,
/// allocated once) and 64 words per touched block, so steady-state sampling allocates nothing.
public struct EpochWriteSet: Sendable {
  /// Sectors per block (2 MiB / 512), the blocktap block size the pool uses.
  public static let sectorsPerBlock = 4096
  /// Mask words per block.
  public static let wordsPerBlock = sectorsPerBlock / 64

  /// Blocks touched, in the order the interval's writes first touched them.
  public private(set) var blocks: [Int] = []
  /// `wordsPerBlock` words per entry of `blocks`, MSB first (sector k of word w is bit 63 − k).
  var masks: [UInt64] = []
  /// Write segments (a write's part in one block) per entry of `blocks`.
  var segmentCounts: [Int32] = []
  /// Index into `blocks` of each disk block, or −1.
  var slots: [Int32]
  /// Write requests gathered.
  public private(set) var writes = 0
  /// Sectors they wrote, counting overlaps every time (the request-level sum of write sizes).
  public private(set) var writtenSectors = 0

  /// An empty set for a disk of `diskSectors` sectors.
  public init(diskSectors: UInt64) {
    let n = Int((diskSectors + UInt64(Self.sectorsPerBlock) - 1) / UInt64(Self.sectorsPerBlock))
    slots = [Int32](repeating: -1, count: n)
  }

  /// Blocks of the disk it was made for.
  public var diskBlocks: Int { slots.count }

  /// Forgets every write (keeps the storage).
  public mutating func removeAll() {
    for b in blocks { slots[b] = -1 }
    blocks.removeAll(keepingCapacity: true)
    masks.removeAll(keepingCapacity: true)
    segmentCounts.removeAll(keepingCapacity: true)
    writes = 0
    writtenSectors = 0
  }

  /// Adds a write of `count` sectors at `sector` (inside the disk), split at block boundaries.
  public mutating func add(sector: UInt64, count: Int) {
    writes += 1
    writtenSectors += count
    var s = sector
    var left = count
    while left > 0 {
      let block = Int(s / UInt64(Self.sectorsPerBlock))
      let first = Int(s % UInt64(Self.sectorsPerBlock))
      let n = min(left, Self.sectorsPerBlock - first)
      let k = slot(of: block)
      segmentCounts[k] += 1
      setRange(slot: k, first, first + n)
      s += UInt64(n)
      left -= n
    }
  }

  /// Calls `body` with the mask of the `index`-th touched block.
  public func withMask<R>(_ index: Int, _ body: (UnsafePointer<UInt64>) throws -> R) rethrows -> R {
    try masks.withUnsafeBufferPointer { try body($0.baseAddress! + index * Self.wordsPerBlock) }
  }

  /// Write segments that fell in the `index`-th touched block (what a request-level run probes the
  /// block's BAT entry for).
  public func segments(_ index: Int) -> Int { Int(segmentCounts[index]) }

  /// Sectors set in the mask of the `index`-th touched block.
  public func coveredSectors(_ index: Int) -> Int {
    var n = 0
    for w in 0..<Self.wordsPerBlock { n += masks[index * Self.wordsPerBlock + w].nonzeroBitCount }
    return n
  }

  /// The slot of `block`, opened (empty mask, next in touch order) when first touched.
  private mutating func slot(of block: Int) -> Int {
    let s = slots[block]
    if s >= 0 { return Int(s) }
    slots[block] = Int32(blocks.count)
    blocks.append(block)
    segmentCounts.append(0)
    masks.append(contentsOf: repeatElement(0, count: Self.wordsPerBlock))
    return blocks.count - 1
  }

  /// Sets sectors [lo, hi) of one slot's mask, a word at a time.
  private mutating func setRange(slot: Int, _ lo: Int, _ hi: Int) {
    let base = slot * Self.wordsPerBlock
    var i = lo
    while i < hi {
      let w = i >> 6
      let end = min(hi, (w + 1) << 6)
      let width = end - i
      let bits: UInt64 = width == 64 ? ~0 : ((1 << UInt64(width)) - 1) << UInt64(64 - (i & 63) - width)
      masks[base + w] |= bits
      i = end
    }
  }
}

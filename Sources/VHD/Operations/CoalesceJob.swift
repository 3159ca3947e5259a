// SPDX-License-Identifier: GPL-3.0-or-later

/// Copies every sector present in a differencing image into its immediate parent, as
/// `vhd-util coalesce` does: whole blocks when the BATmap says full, otherwise the runs of set
/// bitmap bits. Resumable: `step(maxBytes:)` copies a bounded amount and returns, so a simulator
/// can interleave the copy with guest I/O. Nothing is deleted or reparented (the storage manager
/// does that afterwards).
public final class CoalesceJob {
  public let child: VHDImage
  public let parent: VHDImage
  // The mutable state carries `@exclusivity(unchecked)`: `step` touches it for every run it copies,
  // and each access to a class's stored `var` otherwise costs a dynamic exclusivity check (with the
  // counters' in-place updates, about 2 % of a year-long fleet run). Only this class's own methods
  // mutate it, never two at once.
  /// Next block to look at, and the next sector inside it (a step may stop mid-block).
  @exclusivity(unchecked) public private(set) var nextBlock = 0
  @exclusivity(unchecked) private var nextSector = 0
  @exclusivity(unchecked) public private(set) var bytesCopied: UInt64 = 0
  @exclusivity(unchecked) public private(set) var sectorsCoalesced: UInt64 = 0
  /// Counters of the work done so far: level 0 = child reads, level 1 = parent writes.
  @exclusivity(unchecked) public private(set) var accounting = RequestAccounting(depth: 2)
  private var buffer: UnsafeMutableRawPointer
  private let bufferBytes: Int
  /// A block-restricted pass visits only these blocks (sorted, unique); nil visits every block.
  private let blockList: [Int]?
  @exclusivity(unchecked) private var blockCursor = 0

  public init(child: VHDImage, parent: VHDImage) throws {
    try Self.validate(child: child, parent: parent)
    self.child = child
    self.parent = parent
    bufferBytes = child.blockSize
    buffer = .allocate(byteCount: bufferBytes, alignment: 4096)
    blockList = nil
  }

  /// A pass over only `blocks` of the child (any order, duplicates ignored): what a mirroring
  /// leaf coalesce re-copies after the guest wrote those blocks during the first pass. Blocks the
  /// child has not allocated are skipped, as in a full pass. An index outside the child's blocks
  /// is refused, naming it.
  public init(child: VHDImage, parent: VHDImage, blocks: [Int]) throws {
    try Self.validate(child: child, parent: parent)
    for b in blocks where b < 0 || b >= child.blockCount {
      throw VHDError(
        .outOfRange, file: child.path, field: "block",
        "block \(b) is outside the disk's \(child.blockCount) blocks")
    }
    let list = Array(Set(blocks)).sorted()
    self.child = child
    self.parent = parent
    bufferBytes = child.blockSize
    buffer = .allocate(byteCount: bufferBytes, alignment: 4096)
    blockList = list
    nextBlock = list.first ?? child.blockCount
  }

  private static func validate(child: VHDImage, parent: VHDImage) throws {
    guard child.format == .differencing else {
      throw VHDError(
        .wrongDiskType, file: child.path, field: "footer.disk_type",
        "only a differencing disk can be coalesced")
    }
    guard parent.isWritable else {
      throw VHDError(.readOnly, file: parent.path, "coalesce needs the parent open read-write")
    }
  }

  deinit { buffer.deallocate() }

  /// Opens `path`'s chain and makes a job coalescing it into its parent (opened read-write).
  public static func open(_ path: String, storage: any Storage, options: EngineOptions = .init()) throws
    -> CoalesceJob
  {
    let child = try VHDImage.open(path, storage: storage, writable: false, options: options)
    guard child.format == .differencing else {
      throw VHDError(
        .wrongDiskType, file: path, field: "footer.disk_type", "\(path) has no parent to coalesce into")
    }
    let parentPath = try VHDChain.resolveParent(of: child, storage: storage)
    let parent: VHDImage
    if child.header!.parentUniqueID.isNull {
      parent = try VHDImage.openRaw(parentPath, storage: storage, writable: true, options: options)
    } else {
      parent = try VHDImage.open(parentPath, storage: storage, writable: true, options: options)
      guard parent.footer.uniqueID == child.header!.parentUniqueID else {
        throw VHDError(
          .parentUUIDMismatch, file: path, field: "header.parent_unique_id", offset: 552,
          "parent \(parentPath) has UUID \(parent.footer.uniqueID)")
      }
    }
    // vhd-util's writes into the parent fail with ERANGE past its end (blktap libvhd.c,
    // vhd_io_write); refuse before copying anything rather than leave those sectors only in a child
    // a GC would then delete (docs/vhd-format.md#larger-child).
    if let sector = try firstSectorBeyond(parent.sizeSectors, in: child) {
      throw VHDError(
        .outOfRange, file: path, field: "footer.current_size", offset: byteOffset(ofSector: sector),
        "holds data at sector \(sector), beyond the end of its \(parent.sizeSectors)-sector parent "
          + "\(parentPath): grow the parent first")
    }
    return try CoalesceJob(child: child, parent: parent)
  }

  /// The first sector at or past `limit` that `child` holds data for, or nil.
  static func firstSectorBeyond(_ limit: UInt64, in child: VHDImage) throws -> UInt64? {
    guard child.sizeSectors > limit else { return nil }
    let spb = child.sectorsPerBlock
    var work = LevelWork()
    for block in Int(limit / UInt64(spb))..<child.blockCount where child.blockEntry(block) != nil {
      let blockLBA = UInt64(block) * UInt64(spb)
      let from = limit > blockLBA ? Int(limit - blockLBA) : 0
      let bitmap = try child.loadBitmap(block, work: &work)
      let s = SectorBitmap.nextSet(bitmap, from: from, below: spb)
      if s < spb { return blockLBA + UInt64(s) }
    }
    return nil
  }

  public var isFinished: Bool { nextBlock >= child.blockCount }

  /// Fraction of blocks looked at (of the listed blocks, for a block-restricted pass).
  public var progress: Double {
    if let blockList { return blockList.isEmpty ? 1 : Double(blockCursor) / Double(blockList.count) }
    return child.blockCount == 0 ? 1 : Double(nextBlock) / Double(child.blockCount)
  }

  /// Copies at least one run (when any is left) and stops once `maxBytes` were copied in this
  /// step. Returns the bytes copied.
  @discardableResult
  public func step(maxBytes: Int) throws -> Int {
    var copied = 0
    let spb = child.sectorsPerBlock
    while !isFinished && (copied == 0 || copied < maxBytes) {
      let block = nextBlock
      guard let entry = child.blockEntry(block) else {
        advanceBlock()
        continue
      }
      let dataSector = UInt64(entry) + UInt64(child.bitmapSectors)
      let blockLBA = UInt64(block) * UInt64(spb)
      let budgetSectors = max(1, (maxBytes - copied) / 512)
      // Find the next run from nextSector.
      var runStart = nextSector
      var runEnd = spb
      accounting.levels[0].batProbes += 1
      if child.options.useBATMap && child.batmapBit(block) {
        accounting.levels[0].batmapShortcuts += 1
      } else {
        let bitmap = try child.loadBitmap(block, work: &accounting.levels[0])
        runStart = SectorBitmap.nextSet(bitmap, from: runStart, below: spb)
        runEnd = SectorBitmap.nextClear(bitmap, from: runStart, below: spb)
      }
      if runStart >= spb {
        advanceBlock()
        continue
      }
      let n = min(runEnd - runStart, budgetSectors, bufferBytes / 512)
      let lba = blockLBA + UInt64(runStart)
      // A parent smaller than the child takes only what fits (the rest stays in the child).
      let fits = lba < parent.sizeSectors ? Int(min(UInt64(n), parent.sizeSectors - lba)) : 0
      if fits > 0 {
        try child.deviceRead(
          UnsafeMutableRawBufferPointer(start: buffer, count: fits * 512),
          at: (dataSector + UInt64(runStart)) * 512,
          kind: .data)
        accounting.levels[0].sectorsServed += fits
        try parent.write(sector: lba, count: fits, from: buffer, accounting: &accounting, level: 1)
        copied += fits * 512
        sectorsCoalesced += UInt64(fits)
      }
      nextSector = runStart + n
      if nextSector >= spb { advanceBlock() }
    }
    bytesCopied += UInt64(copied)
    if isFinished { try parent.flush() }
    return copied
  }

  private func advanceBlock() {
    nextSector = 0
    guard let blockList else {
      nextBlock += 1
      return
    }
    blockCursor += 1
    nextBlock = blockCursor < blockList.count ? blockList[blockCursor] : child.blockCount
  }

  /// Runs to the end (`vhd-util coalesce`). Returns the sectors coalesced.
  @discardableResult
  public func run(stepBytes: Int = 16 << 20) throws -> UInt64 {
    while !isFinished { try step(maxBytes: stepBytes) }
    try parent.flush()
    return sectorsCoalesced
  }
}

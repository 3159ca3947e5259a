// SPDX-License-Identifier: GPL-3.0-or-later

extension VHDImage {
  /// Writes sectors into this image alone (the leaf of a chain, or the parent a coalesce writes
  /// into): allocates blocks as libvhd does (docs/vhd-format.md#block-allocation) with the footer
  /// moved first, writes data, then sets bitmap bits, then the BATmap bit when a bitmap became full
  /// (docs/vhd-format.md#crash-safety). The work is counted in `accounting.levels[level]`.
  public func write(
    sector: UInt64, count: Int, from source: UnsafeRawPointer, accounting: inout RequestAccounting,
    level: Int = 0
  ) throws {
    try requireWritable()
    guard count >= 0, sector <= sizeSectors, UInt64(count) <= sizeSectors - sector else {
      throw VHDError(
        .outOfRange, file: path, field: "sector", offset: byteOffset(ofSector: sector),
        "write of \(count) sectors at sector \(sector) runs past the end of the \(sizeSectors)-sector disk")
    }
    if count == 0 { return }
    switch format {
    case .fixed, .raw:
      try deviceWrite(
        UnsafeRawBufferPointer(start: source, count: count * 512), at: sector * 512, kind: .data)
      accounting.levels[level].sectorsServed += count
    case .dynamic, .differencing:
      var done = 0
      var allocated = false
      while done < count {
        let lba = sector + UInt64(done)
        let block = Int(lba / UInt64(sectorsPerBlock))
        let first = Int(lba % UInt64(sectorsPerBlock))
        let n = min(count - done, sectorsPerBlock - first)
        allocated =
          try writeSegment(
            block: block, first: first, count: n, from: source + done * 512, accounting: &accounting,
            level: level) || allocated
        done += n
      }
      // libvhd policy: each allocation already moved the footer to the new end.
      if allocated && options.footerPolicy == .onClose { footerDirty = true }
    }
  }

  /// One block's part of a write. Returns whether a block was allocated.
  private func writeSegment(
    block: Int, first: Int, count: Int, from source: UnsafeRawPointer, accounting: inout RequestAccounting,
    level: Int
  ) throws -> Bool {
    accounting.levels[level].batProbes += 1
    var fresh = false
    var entry = blockTable.entries[block]
    if entry == Self.unusedEntry {
      entry = try allocateBlock(block, wholeBlockWrite: count == sectorsPerBlock)
      accounting.blocksAllocated += 1
      fresh = true
    }
    let dataStart = (UInt64(entry) + UInt64(bitmapSectors) + UInt64(first)) * 512
    try deviceWrite(UnsafeRawBufferPointer(start: source, count: count * 512), at: dataStart, kind: .data)
    accounting.levels[level].sectorsServed += count
    if !fresh && options.useBATMap && batmapBit(block) {
      // Full block: every bit is already set, nothing to update.
      accounting.levels[level].batmapShortcuts += 1
      return fresh
    }
    let bitmap: UnsafeMutableRawPointer
    if fresh {
      bitmap = cache.insert(block)
      bitmap.initializeMemory(as: UInt8.self, repeating: 0, count: bitmapSectors * 512)
    } else {
      bitmap = try loadBitmap(block, work: &accounting.levels[level])
    }
    if SectorBitmap.setRange(bitmap, first, first + count) {
      try deviceWrite(
        UnsafeRawBufferPointer(start: bitmap, count: bitmapSectors * 512), at: UInt64(entry) * 512,
        kind: .bitmap)
      accounting.bitmapWrites += 1
      if batmap.isPresent && !batmapBit(block) && SectorBitmap.allSet(bitmap, 0, sectorsPerBlock) {
        batmap.bits.withUnsafeMutableBytes { SectorBitmap.set($0.baseAddress!, block) }
        accounting.batmapBitsSet += 1
        if options.footerPolicy == .everyAllocation {
          // A map rebuilt at open differs anywhere: write all of it the first time.
          try writeBATMap(sectorOf: batmap.dirty ? nil : block)
        } else {
          batmap.dirty = true
        }
      }
    }
    return fresh
  }

  /// The bitmap of an allocated block, from the cache or the device (counted in `work`).
  @inline(__always)
  func loadBitmap(_ block: Int, work: inout LevelWork) throws -> UnsafeMutableRawPointer {
    if let p = cache.lookup(block) {
      work.bitmapCacheHits += 1
      return p
    }
    work.bitmapReads += 1
    // Read first, then take a slot: a read that fails leaves the cache as it was (a claimed slot
    // would be trusted next time, and even a released one moves the replacement order).
    let scratch = cache.readBuffer
    try deviceRead(
      UnsafeMutableRawBufferPointer(start: scratch, count: bitmapSectors * 512),
      at: UInt64(blockTable.entries[block]) * 512,
      kind: .bitmap)
    let p = cache.insert(block)
    if p != scratch { p.copyMemory(from: scratch, byteCount: bitmapSectors * 512) }
    return p
  }

  /// Places a new block after everything else with its data area on a 4 KiB page, in an order that
  /// leaves the file valid if the process stops after any write (docs/vhd-format.md#crash-safety):
  /// the end footer moves to the block's end first (libvhd policy), then gap and bitmap are zeroed
  /// (and the data area unless the write covers it or the policy says not to), then — after an
  /// fsync when the engine is `synced` — the BAT sector points at the block. Until that last write
  /// the block is unreferenced space before a valid footer. Returns the new entry.
  func allocateBlock(_ block: Int, wholeBlockWrite: Bool) throws -> UInt32 {
    let end = endOfDataSector
    let entry = BlktapLayout.alignedBlockStart(afterSector: end, bitmapSectors: UInt64(bitmapSectors))
    let blockEnd = entry + UInt64(bitmapSectors + sectorsPerBlock)
    guard blockEnd < UInt64(UInt32.max) else {
      throw VHDError(
        .invalidField, file: path, field: "BAT[\(block)]", "no space: block would start beyond 2^32 sectors")
    }
    do {
      if options.footerPolicy == .everyAllocation { try writeFooter(both: false, atSector: blockEnd) }
      try deviceWriteZeros(at: end * 512, length: (entry - end + UInt64(bitmapSectors)) * 512, kind: .bitmap)
      if !wholeBlockWrite && options.zeroFill == .fullBlock {
        try deviceWriteZeros(
          at: (entry + UInt64(bitmapSectors)) * 512, length: UInt64(sectorsPerBlock) * 512, kind: .data)
      }
      try options.sync(device, file: path)
    } catch {
      // Nothing points at the new space yet: put the footer back at the old end (best effort; the
      // footer at the new end is valid too, so a failure here still leaves a valid file).
      if options.footerPolicy == .everyAllocation { try? writeFooter(both: false) }
      throw error
    }
    blockTable.entries[block] = UInt32(entry)
    blockTable.endOfDataSector = blockEnd
    blockTable.allocatedCount += 1
    try writeBATSector(containing: block)
    return UInt32(entry)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// Zeros written as the data of a bulk write (immutable; shared by every image).
private let zeroData = [UInt8](repeating: 0, count: 1 << 21)

extension VHDImage {
  /// Records that the sectors set in `mask` of block `block` were written with zero data, in one
  /// call: what a sequence of `write`s of zeros covering exactly those sectors leaves on the device,
  /// byte for byte (docs/simulation.md#epoch-resolution). A bulk guest-I/O model (the pool's epoch
  /// resolution) applies many writes to a block at once this way.
  ///
  /// The block is allocated as a first write would allocate it (same placement, crash-safe order,
  /// footer policy; the whole-block case when the mask is full), zeros go to each run of the mask
  /// (on a metadata-only device they only mark data sectors), the mask is ORed into the bitmap and
  /// the bitmap written once if a bit changed, and the BATmap bit is set when the bitmap became full.
  /// Which blocks are allocated first decides placement, so a caller applying several blocks must
  /// call in the order the writes first touched them.
  ///
  /// - Parameters:
  ///   - mask: `sectorsPerBlock / 64` words, MSB first (sector k of word w is bit 63 − k), the
  ///     order of `SectorBitmap.word`. An all-zero mask does nothing.
  ///   - accounting: counts this call as one write segment at `level` (one BAT probe, the sectors
  ///     stored, at most one bitmap read and one bitmap write).
  public func markWritten(
    block: Int, mask: UnsafePointer<UInt64>, accounting: inout RequestAccounting, level: Int = 0
  ) throws {
    try requireWritable()
    guard format.isSparse else {
      throw VHDError(.invalidArgument, file: path, "markWritten needs a dynamic or differencing image")
    }
    guard block >= 0, block < blockTable.entries.count else {
      throw VHDError(
        .outOfRange, file: path, field: "block",
        "block \(block) is outside the \(blockTable.entries.count)-entry BAT")
    }
    let words = sectorsPerBlock / 64
    var count = 0
    for w in 0..<words { count += mask[w].nonzeroBitCount }
    if count == 0 { return }
    let firstSector = UInt64(block) * UInt64(sectorsPerBlock)
    guard firstSector + lastMaskedSector(mask, words: words) < sizeSectors else {
      throw VHDError(
        .outOfRange, file: path, field: "sector", offset: byteOffset(ofSector: firstSector),
        "mask of block \(block) runs past the end of the \(sizeSectors)-sector disk")
    }
    accounting.levels[level].batProbes += 1
    var entry = blockTable.entries[block]
    let fresh = entry == Self.unusedEntry
    if fresh {
      entry = try allocateBlock(block, wholeBlockWrite: count == sectorsPerBlock)
      accounting.blocksAllocated += 1
      if options.footerPolicy == .onClose { footerDirty = true }
    }
    try writeZeroRuns(of: mask, in: self, dataStart: UInt64(entry) + UInt64(bitmapSectors))
    accounting.levels[level].sectorsServed += count
    if !fresh && options.useBATMap && batmapBit(block) {
      accounting.levels[level].batmapShortcuts += 1
      return
    }
    let bitmap: UnsafeMutableRawPointer
    if fresh {
      bitmap = cache.insert(block)
      bitmap.initializeMemory(as: UInt8.self, repeating: 0, count: bitmapSectors * 512)
    } else {
      bitmap = try loadBitmap(block, work: &accounting.levels[level])
    }
    var changed = false
    for w in 0..<words where mask[w] != 0 {
      let old = SectorBitmap.word(bitmap, w)
      if old | mask[w] != old {
        SectorBitmap.storeWord(bitmap, w, old | mask[w])
        changed = true
      }
    }
    guard changed else { return }
    try deviceWrite(
      UnsafeRawBufferPointer(start: bitmap, count: bitmapSectors * 512), at: UInt64(entry) * 512,
      kind: .bitmap)
    accounting.bitmapWrites += 1
    if batmap.isPresent && !batmapBit(block) && SectorBitmap.allSet(bitmap, 0, sectorsPerBlock) {
      batmap.bits.withUnsafeMutableBytes { SectorBitmap.set($0.baseAddress!, block) }
      accounting.batmapBitsSet += 1
      if options.footerPolicy == .everyAllocation {
        try writeBATMap(sectorOf: batmap.dirty ? nil : block)
      } else {
        batmap.dirty = true
      }
    }
  }
}

/// The highest sector set in a mask of `words` words (block-relative; the mask is not all zero).
private func lastMaskedSector(_ mask: UnsafePointer<UInt64>, words: Int) -> UInt64 {
  var w = words - 1
  while w > 0 && mask[w] == 0 { w -= 1 }
  return UInt64(w * 64 + 63 - mask[w].trailingZeroBitCount)
}

/// Writes zeros (as data) to each run of `mask` in `image`'s block whose data area starts at
/// `dataStart`, in pieces of at most 2 MiB.
private func writeZeroRuns(of mask: UnsafePointer<UInt64>, in image: VHDImage, dataStart: UInt64) throws {
  if let device = image.device as? MetadataOnlyDevice {
    // The same physical writes for the I/O tap, applied to the device in one pass.
    if let observer = image.observer {
      BitRuns.forEach(in: mask, from: 0, to: image.sectorsPerBlock, order: .msbFirst) { s, e in
        var sector = s
        while sector < e {
          let n = min(e - sector, zeroData.count / 512)
          observer.observe(
            PhysicalIO(
              level: image.level, kind: .data, direction: .write, offset: (dataStart + UInt64(sector)) * 512,
              length: UInt64(n) * 512))
          sector += n
        }
      }
    }
    do { try device.writeZeroData(runsOf: mask, count: image.sectorsPerBlock, at: dataStart * 512) } catch {
      throw VHDError.wrap(error, file: image.path, field: IOKind.data.description)
    }
    return
  }
  var failure: (any Error)?
  zeroData.withUnsafeBytes { zeros in
    BitRuns.forEach(in: mask, from: 0, to: image.sectorsPerBlock, order: .msbFirst) { s, e in
      guard failure == nil else { return }
      var sector = s
      while sector < e {
        let n = min(e - sector, zeros.count / 512)
        do {
          try image.deviceWrite(
            UnsafeRawBufferPointer(rebasing: zeros[0..<(n * 512)]), at: (dataStart + UInt64(sector)) * 512,
            kind: .data)
        } catch {
          failure = error
          return
        }
        sector += n
      }
    }
  }
  if let failure { throw failure }
}

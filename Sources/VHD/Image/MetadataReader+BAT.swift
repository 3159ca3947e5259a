// SPDX-License-Identifier: GPL-3.0-or-later

/// The BAT at open: read it, then check every used entry points past the metadata, inside the file,
/// and clear of every other block (docs/vhd-format.md#bat-and-data-blocks).
extension MetadataReader {
  func readBAT(header h: DynamicDiskHeader) throws -> ([UInt32], [UInt8]) {
    let n = Int(h.maxTableEntries)
    let bytes = 4 * n
    let padded = Int(BlktapLayout.pad(UInt64(bytes)))
    let available =
      device.length > h.tableOffset ? Int(min(UInt64(padded), device.length - h.tableOffset)) : 0
    guard available >= bytes else {
      throw VHDError(
        .truncated, file: path, field: "BAT", offset: h.tableOffset,
        "BAT of \(n) entries runs past the end of the file")
    }
    // One read of the table's sectors, straight into the entries' storage, then swapped in place:
    // no zeroed byte array to read into and decode from in a second pass.
    var padding = [UInt8](repeating: 0, count: padded - bytes)
    let bat = try [UInt32](unsafeUninitializedCapacity: max(n, (available + 3) / 4)) { entries, count in
      let raw = UnsafeMutableRawBufferPointer(start: entries.baseAddress, count: available)
      try read(into: raw, at: h.tableOffset, field: "BAT")
      for i in 0..<n { entries[i] = UInt32(bigEndian: entries[i]) }
      padding.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[bytes...])) }
      count = n
    }
    return (bat, padding)
  }

  /// Returns what the check saw on its way, so the block table need not look again: the entries in
  /// use among the disk's blocks, and the first sector after the metadata and every block.
  func validate(
    bat: [UInt32], header h: DynamicDiskHeader, footer f: HardDiskFooter, metadataEndSector: UInt64,
    dataLimitSector: UInt64
  ) throws -> (allocatedCount: Int, endOfDataSector: UInt64) {
    let blocks = Int((f.currentSize + UInt64(h.blockSize) - 1) / UInt64(h.blockSize))
    let span = UInt64(h.sectorsPerBlock + h.bitmapSectors)
    var used: [UInt64] = []
    used.reserveCapacity(blocks)
    var end = metadataEndSector
    for i in 0..<min(blocks, bat.count) where bat[i] != VHDImage.unusedEntry {
      let e = UInt64(bat[i])
      let at = h.tableOffset + 4 * UInt64(i)
      if e < metadataEndSector {
        throw VHDError(
          .invalidField, file: path, field: "BAT[\(i)]", offset: at,
          "block at sector \(e) lies inside the metadata (ends at sector \(metadataEndSector))")
      }
      if e + span > dataLimitSector {
        throw VHDError(
          .batEntryPastEnd, file: path, field: "BAT[\(i)]", offset: at,
          "block at sector \(e) ends past the end of the file")
      }
      used.append(e << 32 | UInt64(i))
      end = max(end, e + span)
    }
    if BlockOverlap.none(used, from: metadataEndSector, span: span) { return (used.count, end) }
    // Some blocks overlap: name the first pair in file order.
    used.sort()
    for k in used.indices.dropFirst() where used[k] >> 32 < used[k - 1] >> 32 + span {
      let (index, start) = (used[k] & 0xFFFF_FFFF, used[k] >> 32)
      let (previous, previousStart) = (used[k - 1] & 0xFFFF_FFFF, used[k - 1] >> 32)
      throw VHDError(
        .overlappingBlocks, file: path, field: "BAT[\(index)]", offset: h.tableOffset + 4 * index,
        "block \(index) at sector \(start) overlaps block \(previous) at sector \(previousStart)"
      )
    }
    return (used.count, end)
  }
}

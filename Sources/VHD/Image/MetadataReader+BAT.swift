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
    let raw = try read(available, at: h.tableOffset, field: "BAT")
    let bat = [UInt32](unsafeUninitializedCapacity: n) { entries, count in
      raw.withUnsafeBytes { bytes in
        for i in 0..<n {
          entries[i] = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
        }
      }
      count = n
    }
    var padding = Array(raw[bytes..<available])
    padding += [UInt8](repeating: 0, count: padded - available)
    return (bat, padding)
  }

  func validate(
    bat: [UInt32], header h: DynamicDiskHeader, footer f: HardDiskFooter, metadataEndSector: UInt64,
    dataLimitSector: UInt64
  ) throws {
    let blocks = Int((f.currentSize + UInt64(h.blockSize) - 1) / UInt64(h.blockSize))
    let span = UInt64(h.sectorsPerBlock + h.bitmapSectors)
    var used: [UInt64] = []
    used.reserveCapacity(blocks)
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
    }
    if BlockOverlap.none(used, from: metadataEndSector, span: span) { return }
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
  }
}

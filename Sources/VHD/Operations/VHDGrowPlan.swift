// SPDX-License-Identifier: GPL-3.0-or-later

/// The new layout of a journaled grow (docs/vhd-format.md#growing-the-virtual-size), computed from
/// the open image before anything is written: the BAT keeps its offset and grows to one slot per
/// block of the new size, the BATmap header and map follow it as blktap places them, the parent
/// locators follow the map in their old order, and every data block that starts before the new
/// end of metadata moves to the end of the file.
struct VHDGrowPlan {
  /// One block to move: its BAT slot, its old and new first sector (the bitmap's).
  struct Move: Equatable {
    var block: Int
    var from: UInt64
    var to: UInt64
  }

  let newSize: UInt64
  let header: DynamicDiskHeader
  let bat: [UInt32]
  let batmapHeader: BATMapHeader?
  let batmapOffset: UInt64
  let batmapBits: [UInt8]
  /// Locator payloads to write at their new offsets (already in `header.locators`).
  let locatorWrites: [(offset: UInt64, bytes: [UInt8])]
  let moves: [Move]
  /// First byte after the grown metadata.
  let newMetadataEnd: UInt64
  /// Sector of the end footer once every block is in place.
  let newEndSector: UInt64

  init(image: VHDImage, newSize: UInt64) throws {
    guard var header = image.header else {
      throw VHDError(.unsupported, file: image.path, field: "footer.disk_type", "no dynamic header")
    }
    let blockBytes = UInt64(header.blockSize)
    let entries = Int((newSize + blockBytes - 1) / blockBytes)
    let oldEntries = Int(header.maxTableEntries)
    header.maxTableEntries = UInt32(max(entries, oldEntries))
    let layout = BlktapLayout(maxTableEntries: header.maxTableEntries, tableOffset: header.tableOffset)
    var end = layout.tableOffset + layout.batBytes
    var batmapHeader: BATMapHeader? = nil
    var bits: [UInt8] = []
    if var bh = image.batmap.header {
      bh.batmapOffset = layout.batmapOffset
      bh.batmapSize = layout.batmapSectors
      bits = image.batmap.bits + [UInt8](repeating: 0, count: Int(layout.batmapSectors) * 512)
      bits = Array(bits.prefix(Int(layout.batmapSectors) * 512))
      let len = min(bits.count, BATMapHeader.checksummedLength(currentSize: newSize))
      bh.checksum = bits.withUnsafeBytes {
        batmapChecksum(UnsafeRawBufferPointer(rebasing: $0[0..<len]), signed: bh.usesSignedChecksum)
      }
      batmapHeader = bh
      end = layout.locatorsOffset
    }
    // Locators after the BAT follow the map in their old order; any before it stay.
    var writes: [(UInt64, [UInt8])] = []
    let order = header.locators.indices.filter { !header.locators[$0].isEmpty }
      .sorted { header.locators[$0].platformDataOffset < header.locators[$1].platformDataOffset }
    var metadataEnd = end
    for slot in order {
      var loc = header.locators[slot]
      guard let space = loc.dataSpaceBytes else {
        throw VHDError(
          .invalidField, file: image.path, field: "header.parent_locator[\(slot)].platform_data_space",
          "locator data space \(loc.platformDataSpace) is neither sectors nor a multiple of 512")
      }
      if loc.platformDataOffset < header.tableOffset {
        metadataEnd = max(metadataEnd, loc.platformDataOffset + space)
        continue
      }
      writes.append((end, try image.deviceReadBytes(Int(space), at: loc.platformDataOffset, kind: .locator)))
      loc.platformDataOffset = end
      header.locators[slot] = loc
      end += space
      metadataEnd = max(metadataEnd, end)
    }
    header.updateChecksum()
    // Blocks in the way of the grown metadata move past the last block, each placed as a new
    // allocation would be (data area on a 4 KiB page).
    let blockSectors = UInt64(image.bitmapSectors + image.sectorsPerBlock)
    let endSector = (metadataEnd + 511) / 512
    var table = (0..<oldEntries).map { image.blockTable.entries[$0] }
    var next = max(image.endOfDataSector, endSector)
    var moves: [Move] = []
    for block in table.indices.sorted(by: { table[$0] < table[$1] })
    where table[block] != VHDImage.unusedEntry && UInt64(table[block]) < endSector {
      let to = BlktapLayout.alignedBlockStart(afterSector: next, bitmapSectors: UInt64(image.bitmapSectors))
      moves.append(Move(block: block, from: UInt64(table[block]), to: to))
      table[block] = UInt32(to)
      next = to + blockSectors
    }
    table += [UInt32](repeating: VHDImage.unusedEntry, count: Int(header.maxTableEntries) - oldEntries)
    self.newSize = newSize
    self.header = header
    self.bat = table
    self.batmapHeader = batmapHeader
    self.batmapOffset = layout.batmapOffset
    self.batmapBits = bits
    self.locatorWrites = writes.map { (offset: $0.0, bytes: $0.1) }
    self.moves = moves
    self.newMetadataEnd = metadataEnd
    self.newEndSector = max(next, endSector)
  }

  /// The writes after the journal, in crash-safe order (docs/vhd-format.md#growing-the-virtual-size):
  /// poison both footers, copy the moving blocks to their new place, write the locators, the
  /// BATmap, the BAT and the header over the old space, then the valid footers with the new size.
  func apply(to image: VHDImage) throws {
    var footer = image.footer
    let oldEnd = image.endOfDataSector * 512
    var poisoned = footer
    poisoned.cookie = HardDiskFooter.poisonCookie
    poisoned.updateChecksum()
    try image.deviceWrite(poisoned.encoded(), at: 0, kind: .footer)
    try image.deviceWrite(poisoned.encoded(), at: oldEnd, kind: .footer)
    let blockBytes = (image.bitmapSectors + image.sectorsPerBlock) * 512
    if let first = moves.first, first.to * 512 > oldEnd {
      try image.deviceWriteZeros(at: oldEnd, length: first.to * 512 - oldEnd, kind: .data)
    }
    for move in moves {
      let bytes = try image.deviceReadBytes(blockBytes, at: move.from * 512, kind: .data)
      try image.deviceWrite(bytes, at: move.to * 512, kind: .data)
    }
    for w in locatorWrites { try image.deviceWrite(w.bytes, at: w.offset, kind: .locator) }
    if let bh = batmapHeader {
      try image.deviceWrite(batmapBits, at: batmapOffset, kind: .batmap)
      try image.deviceWrite(bh.encoded(), at: batmapOffset - 512, kind: .batmap)
    }
    let batBytes = BlktapLayout(maxTableEntries: header.maxTableEntries).batBytes
    var table = [UInt8](repeating: 0, count: Int(batBytes))
    for (i, e) in bat.enumerated() { table.putBE32(e, at: 4 * i) }
    try image.deviceWrite(table, at: header.tableOffset, kind: .bat)
    try image.deviceWrite(header.encoded(), at: footer.dataOffset, kind: .header)
    footer.currentSize = newSize
    footer.geometry = DiskGeometry(forSize: newSize)
    footer.updateChecksum()
    let end = newEndSector * 512
    try image.deviceWrite(footer.encoded(), at: end, kind: .footer)
    do {
      if image.device.length != end + 512 { try image.device.truncate(to: end + 512) }
    } catch { throw VHDError.wrap(error, file: image.path, field: "footer") }
    try image.deviceWrite(footer.encoded(), at: 0, kind: .footer)
    do { try image.device.flush() } catch { throw VHDError.wrap(error, file: image.path, field: "footer") }
  }
}

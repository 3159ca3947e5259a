// SPDX-License-Identifier: GPL-3.0-or-later

extension VHDCheck {
  /// A BAT entry that maps no block.
  static let unusedEntry: UInt32 = 0xFFFF_FFFF

  /// Sectors of a block's bitmap, at least one (libvhd's `secs_round_up_no_zero`).
  static func bitmapSectors(_ h: DynamicDiskHeader) -> UInt64 {
    max(1, UInt64(h.bitmapSectors))
  }
}

extension VHDCheck.FileCheck {
  /// Blocks the virtual size needs: `ceil(current_size / block_size)`.
  func blockCount(footer f: HardDiskFooter, header h: DynamicDiskHeader) -> UInt64 {
    VHDCheck.ceilDiv(f.currentSize, UInt64(h.blockSize))
  }

  /// The first byte that is not metadata: header, padded BAT, BATmap header and map, locators
  /// (libvhd `vhd_end_of_headers`). A BATmap or locator too damaged to trust does not count.
  func endOfMetadata(footer f: HardDiskFooter, header h: DynamicDiskHeader) -> UInt64 {
    var end = VHDCheck.add(f.dataOffset, UInt64(DynamicDiskHeader.size))
    end = max(end, VHDCheck.add(h.tableOffset, BlktapLayout.pad(4 * UInt64(h.maxTableEntries))))
    if let state = batmap, state.headerSound {
      end = max(end, state.headerOffset + UInt64(BATMapHeader.size))
      let mapEnd = VHDCheck.add(state.header.batmapOffset, UInt64(state.header.batmapSize) * 512)
      if mapEnd <= footerStart { end = max(end, mapEnd) }
    }
    for loc in h.locators where !loc.isEmpty && loc.code != nil {
      guard let space = loc.dataSpaceBytes else { continue }
      let locEnd = VHDCheck.add(loc.platformDataOffset, space)
      if locEnd <= footerStart { end = max(end, locEnd) }
    }
    return end
  }

  /// The BAT rules (docs/vhd-format.md#bat-and-data-blocks, docs/vhd-format.md#vhd-util-check):
  /// entries in range, clear of the metadata and the footer, and no two blocks overlapping.
  func checkBAT(footer f: HardDiskFooter, header h: DynamicDiskHeader) {
    guard tableUsable else { return }
    let blocks = blockCount(footer: f, header: h)
    var count = blocks
    if blocks > UInt64(h.maxTableEntries) {
      report(
        "header.max_table_entries", headerOffset + 28,
        "VHD size (\(blocks) blocks) exceeds BAT size (\(h.maxTableEntries))")
      count = UInt64(h.maxTableEntries)
    }
    guard let bytes = read(Int(count) * 4, at: h.tableOffset, kind: .bat) else {
      report("BAT", h.tableOffset, "cannot read the BAT")
      return
    }
    bat = (0..<Int(count)).map { bytes.be32(4 * $0) }

    let span = UInt64(h.sectorsPerBlock) + VHDCheck.bitmapSectors(h)
    let metadataEnd = VHDCheck.ceilDiv(endOfMetadata(footer: f, header: h), 512)
    // Sectors available to blocks: up to the footer (a 511-byte footer counts as a sector).
    let roundedEOF = eof % 512 == 511 ? eof + 1 : eof - eof % 512
    let dataEnd = roundedEOF >= 512 ? (roundedEOF - 512) / 512 : 0
    // With -i and no primary footer, the last block may cover the footer's place (tapdisk
    // appends over the old footer and writes a new one only on close).
    let footerOverwritten = primaryFooterBad && options.ignorePrimaryFooter
    var used: [(start: UInt64, index: Int)] = []
    for (i, entry) in bat.enumerated() where entry != VHDCheck.unusedEntry {
      let start = UInt64(entry)
      let at = h.tableOffset + 4 * UInt64(i)
      var inFile = true
      if start < metadataEnd {
        report(
          "BAT[\(i)]", at,
          "block \(i) (sector \(start)) clobbers headers (metadata ends at sector \(metadataEnd))")
        inFile = false
      }
      if start + span > dataEnd && !(footerOverwritten && start + span == dataEnd + 1) {
        report(
          "BAT[\(i)]", at,
          "block \(i) (sector \(start)) clobbers footer (blocks must end by sector \(dataEnd))")
        inFile = false
      }
      if inFile { blocksInFile.append(i) }
      used.append((start, i))
    }
    if !options.skipOverlapTest { checkOverlaps(used, span: span, tableOffset: h.tableOffset) }
  }

  /// Sorted by start, every overlap shows between neighbours (all blocks have one length).
  private func checkOverlaps(_ blocks: [(start: UInt64, index: Int)], span: UInt64, tableOffset: UInt64) {
    let sorted = blocks.sorted { ($0.start, $0.index) < ($1.start, $1.index) }
    for k in sorted.indices.dropFirst() {
      let previous = sorted[k - 1]
      let current = sorted[k]
      if current.start < previous.start + span {
        report(
          "BAT[\(current.index)]", tableOffset + 4 * UInt64(current.index),
          "block \(current.index) (sector \(current.start)) overlaps block \(previous.index) (sector \(previous.start))"
        )
      }
    }
  }

  /// `-b`: in every allocated block (except those the BATmap marks full), sectors whose bitmap bit
  /// is clear must read as zeros. Holes of the device are skipped without reading.
  func checkZeroData(header h: DynamicDiskHeader) {
    guard tableUsable, let device else { return }
    let bitmapBytes = Int(VHDCheck.bitmapSectors(h)) * 512
    let sectors = Int(h.sectorsPerBlock)
    for i in blocksInFile where !(batmap?.isFull(i) ?? false) {
      let start = UInt64(bat[i]) * 512
      guard let bitmap = read(bitmapBytes, at: start, kind: .bitmap) else { continue }
      let dataStart = start + UInt64(bitmapBytes)
      let dataRange = dataStart..<(dataStart + UInt64(h.blockSize))
      let regions = (try? device.dataRegions(in: dataRange)) ?? [dataRange]
      if let sector = firstDirtyClearSector(
        bitmap: bitmap, sectors: sectors, dataStart: dataStart, regions: regions)
      {
        report(
          "block[\(i)]", dataStart + UInt64(sector) * 512,
          "block \(i) has data where bitmap is clear (first at sector \(sector) of the block)")
      }
    }
  }

  /// The first sector of the block with a clear bit and non-zero bytes, looking only inside
  /// `regions` (the parts of the file that may hold data).
  private func firstDirtyClearSector(
    bitmap: [UInt8], sectors: Int, dataStart: UInt64, regions: [Range<UInt64>]
  ) -> Int? {
    for region in regions {
      let lower = max(region.lowerBound, dataStart)
      guard region.upperBound > lower else { continue }
      let first = Int((lower - dataStart) / 512)
      let last = min(sectors, Int(VHDCheck.ceilDiv(region.upperBound - dataStart, 512)))
      var chunk = first
      while chunk < last {
        let end = min(last, chunk + 2048)
        defer { chunk = end }
        guard let bytes = read((end - chunk) * 512, at: dataStart + UInt64(chunk) * 512, kind: .data) else {
          continue
        }
        for s in chunk..<end where bitmap[s >> 3] & (0x80 >> UInt8(s & 7)) == 0 {
          let offset = (s - chunk) * 512
          if bytes[offset..<offset + 512].contains(where: { $0 != 0 }) { return s }
        }
      }
    }
    return nil
  }
}

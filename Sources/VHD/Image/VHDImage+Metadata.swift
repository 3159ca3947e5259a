// SPDX-License-Identifier: GPL-3.0-or-later

extension VHDImage {
  /// Writes the end footer at the end of data and truncates there; for dynamic and differencing
  /// disks also the offset-0 copy when `both` (after a field changed). Both copies always get the
  /// same bytes with a fresh checksum (docs/vhd-format.md#footer-policies).
  /// With `atSector`, the end footer goes there instead of at the end of data (an allocation moves
  /// it to the new block's end first); it is written before the file is truncated just after it, so
  /// the file ends with a valid footer at every step (docs/vhd-format.md#crash-safety).
  func writeFooter(both: Bool, atSector: UInt64? = nil) throws {
    let bytes: [UInt8]
    if let encodedFooter {
      bytes = encodedFooter
    } else {
      footer.updateChecksum()
      bytes = footer.encoded()
      encodedFooter = bytes
    }
    if format == .fixed {
      try deviceWrite(bytes, at: virtualSize, kind: .footer)
      return
    }
    let end = (atSector ?? endOfDataSector) * 512
    try deviceWrite(bytes, at: end, kind: .footer)
    if device.length != end + 512 {
      do { try device.truncate(to: end + 512) } catch {
        throw VHDError.wrap(error, file: path, field: "footer")
      }
    }
    if both { try deviceWrite(bytes, at: 0, kind: .footer) }
    if atSector == nil { footerDirty = false }
  }

  /// Rewrites the dynamic header (after a reparent).
  func writeHeader() throws {
    guard var h = header else { return }
    h.updateChecksum()
    header = h
    try deviceWrite(h.encoded(), at: footer.dataOffset, kind: .header)
  }

  /// Writes the BAT sector holding `block`'s entry (tapdisk writes just that sector).
  func writeBATSector(containing block: Int) throws {
    let perSector = 128
    let first = block / perSector * perSector
    let offset = header!.tableOffset + UInt64(first) * 4
    if first + perSector <= blockTable.entries.count {
      // The common case, a sector of entries only, without a heap buffer (one per allocation).
      try withUnsafeTemporaryAllocation(byteCount: 512, alignment: 8) { sector in
        blockTable.entries.withUnsafeBufferPointer { entries in
          for i in 0..<perSector {
            sector.storeBytes(of: entries[first + i].bigEndian, toByteOffset: 4 * i, as: UInt32.self)
          }
        }
        try deviceWrite(UnsafeRawBufferPointer(sector), at: offset, kind: .bat)
      }
      return
    }
    var sector = [UInt8](repeating: 0, count: 512)
    for i in 0..<perSector {
      let e = first + i
      if e < blockTable.entries.count {
        sector.putBE32(blockTable.entries[e], at: 4 * i)
      } else {
        let p = (e - blockTable.entries.count) * 4
        for k in 0..<4 where p + k < blockTable.padding.count {
          sector[4 * i + k] = blockTable.padding[p + k]
        }
      }
    }
    try deviceWrite(sector, at: offset, kind: .bat)
  }

  /// Persists the BATmap map and header (header holds the map checksum).
  func writeBATMap(sectorOf block: Int? = nil) throws {
    guard var bh = batmap.header else { return }
    let len = min(batmap.bits.count, BATMapHeader.checksummedLength(currentSize: footer.currentSize))
    bh.checksum = batmap.bits.withUnsafeBytes {
      batmapChecksum(UnsafeRawBufferPointer(rebasing: $0[0..<len]), signed: bh.usesSignedChecksum)
    }
    batmap.header = bh
    let layout = BlktapLayout(maxTableEntries: header!.maxTableEntries, tableOffset: header!.tableOffset)
    // The map sectors up to the changed one (all of them without a block).
    let mapEnd = block.map { $0 / 8 < len ? min($0 / 8 / 512 * 512 + 512, len) : len } ?? len
    if bh.batmapOffset == layout.batmapHeaderOffset + 512 {
      // blktap's layout: header then map. One write carries the header with its checksum and the
      // map bytes it covers up to the change, so no stop leaves them disagreeing
      // (docs/vhd-format.md#crash-safety).
      try deviceWrite(bh.encoded() + batmap.bits[0..<mapEnd], at: layout.batmapHeaderOffset, kind: .batmap)
    } else {
      let s = block.map { $0 / 8 < len ? $0 / 8 / 512 * 512 : 0 } ?? 0
      try deviceWrite(Array(batmap.bits[s..<mapEnd]), at: bh.batmapOffset + UInt64(s), kind: .batmap)
      try deviceWrite(bh.encoded(), at: layout.batmapHeaderOffset, kind: .batmap)
    }
    batmap.dirty = false
  }

  /// Sets blktap's hidden flag in both footer copies (`vhd-util set -f hidden`).
  public func setHidden(_ hidden: Bool) throws {
    try requireWritable()
    footer.hidden = hidden ? 1 : 0
    try writeFooter(both: true)
  }

  /// Sets the BATmap marker byte (`vhd-util set -f marker`).
  public func setMarker(_ value: UInt8) throws {
    try requireWritable()
    guard var bh = batmap.header else {
      throw VHDError(.unsupported, file: path, field: "batmap.marker", "this image has no BATmap")
    }
    bh.marker = value
    batmap.header = bh
    try writeBATMap()
  }

  /// Writes what `FooterPolicy.onClose` deferred: BATmap, end footer, offset-0 copy.
  public func flush() throws {
    guard isWritable else { return }
    if batmap.dirty { try writeBATMap() }
    if footerDirty { try writeFooter(both: true) }
    try options.sync(device, file: path)
  }

  /// Flushes deferred metadata. The device itself is closed when the image is released.
  public func close() throws { try flush() }

  func requireWritable() throws {
    guard isWritable else { throw VHDError(.readOnly, file: path, "image is open read-only") }
  }
}

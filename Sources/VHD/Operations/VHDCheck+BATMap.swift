// SPDX-License-Identifier: GPL-3.0-or-later

extension VHDCheck {
  /// A BATmap as found on disk, before validation.
  struct BATMapState {
    var header: BATMapHeader
    /// Where the header is (`H`, implied by the BAT's position and size).
    var headerOffset: UInt64
    /// The map bytes, when they lie inside the file: at least the checksummed length.
    var map: [UInt8]?
    /// Bytes libvhd checksums (docs/vhd-format.md#batmap-checksum).
    var checksummedLength: Int

    /// The header is one libvhd would accept (cookie and version).
    var headerSound: Bool {
      header.hasValidCookie && header.batmapVersion <= BATMapHeader.currentVersion
    }

    /// Bit `block` of the map (false past its end).
    func isFull(_ block: Int) -> Bool {
      guard let map, block >= 0, block < map.count * 8,
        UInt64(block) < UInt64(header.batmapSize) * 4096
      else { return false }
      return map[block >> 3] & (0x80 >> UInt8(block & 7)) != 0
    }
  }

  /// `vhd_has_batmap` before the cookie test: tap-created dynamic/differencing disks of creator
  /// version 1.1 or later (1.1 only if the cookie is there).
  static func batmapExpected(_ f: HardDiskFooter) -> Bool {
    f.diskType.isSparse && isTapCreator(f) && f.creatorVersion > 0x0000_0001
  }
}

extension VHDCheck.FileCheck {
  /// Reads the BATmap header and map (no reporting: end-of-metadata needs it before the BAT
  /// rules run; `checkBATMap` reports).
  func loadBATMap(footer f: HardDiskFooter, header h: DynamicDiskHeader) {
    guard VHDCheck.batmapExpected(f), tableUsable else { return }
    let at = BlktapLayout(maxTableEntries: h.maxTableEntries, tableOffset: h.tableOffset).batmapHeaderOffset
    let length = BATMapHeader.checksummedLength(currentSize: f.currentSize)
    guard let bytes = read(BATMapHeader.size, at: at, kind: .batmap) else {
      if f.creatorVersion >= 0x0001_0002 {
        report("batmap", at, "cannot read the batmap header at \(at) (file is \(eof) bytes)")
      }
      return
    }
    let header = BATMapHeader(decoding: bytes)
    if f.creatorVersion < 0x0001_0002 && !header.hasValidCookie { return }
    var state = VHDCheck.BATMapState(header: header, headerOffset: at, map: nil, checksummedLength: length)
    if state.headerSound {
      // The whole map when it is inside the file, else just the checksummed bytes.
      let whole = max(UInt64(length), VHDCheck.multiply(UInt64(header.batmapSize), 512))
      if whole <= eof { state.map = read(Int(whole), at: header.batmapOffset, kind: .batmap) }
      if state.map == nil { state.map = read(length, at: header.batmapOffset, kind: .batmap) }
    }
    batmap = state
  }

  /// The BATmap rules (docs/vhd-format.md#batmap-rules).
  func checkBATMap(footer f: HardDiskFooter, header h: DynamicDiskHeader) {
    guard let state = batmap else { return }
    let at = state.headerOffset
    let b = state.header
    guard b.hasValidCookie else {
      report("batmap.cookie", at, "invalid cookie (expected 'tdbatmap')")
      return
    }
    if b.batmapVersion > BATMapHeader.currentVersion {
      report("batmap.version", at + 20, "unsupported batmap version \(VHDCheck.versionText(b.batmapVersion))")
    }
    if let map = state.map {
      let sum = map.withUnsafeBytes {
        batmapChecksum(
          UnsafeRawBufferPointer(rebasing: $0[0..<state.checksummedLength]), signed: b.usesSignedChecksum)
      }
      if sum != b.checksum {
        report(
          "batmap.checksum", at + 24,
          "invalid checksum \(VHDCheck.hex(b.checksum)) (computed \(VHDCheck.hex(sum)))")
      }
    }
    if b.batmapSize == 0 {
      report("batmap.size", at + 16, "invalid size zero")
    } else if UInt64(b.batmapSize) * 4096 < UInt64(h.maxTableEntries) {
      report(
        "batmap.size", at + 16,
        "batmap-BAT size mismatch: \(b.batmapSize) sectors hold \(UInt64(b.batmapSize) * 4096) bits, the BAT has \(h.maxTableEntries) entries"
      )
    }
    if b.batmapOffset == 0 || b.batmapOffset % 512 != 0 {
      report("batmap.offset", at + 8, "invalid batmap offset \(b.batmapOffset)")
    } else if VHDCheck.add(b.batmapOffset, UInt64(b.batmapSize) * 512) > footerStart {
      report(
        "batmap.size", at + 16,
        "invalid batmap size: \(b.batmapSize) sectors at \(b.batmapOffset) run past the footer at \(footerStart)"
      )
    } else if state.headerSound && state.map == nil {
      report(
        "batmap.checksum", at + 24,
        "the \(state.checksummedLength) checksummed map bytes at \(b.batmapOffset) run past the end of the file"
      )
    }
    guard state.map != nil, tableUsable else { return }
    for i in bat.indices where bat[i] == VHDCheck.unusedEntry && state.isFull(i) {
      report("batmap[\(i)]", b.batmapOffset + UInt64(i / 8), "batmap shows unallocated block \(i) full")
    }
  }
}

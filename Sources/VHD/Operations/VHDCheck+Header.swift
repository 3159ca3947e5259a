// SPDX-License-Identifier: GPL-3.0-or-later

extension VHDCheck.FileCheck {
  /// The dynamic header rules (docs/vhd-format.md#dynamic-disk-header,
  /// docs/vhd-format.md#vhd-util-check). Returns nil when there is no header to speak of
  /// (unreadable, or a bad cookie); field problems leave it usable where they can.
  func checkHeader(footer f: HardDiskFooter) -> DynamicDiskHeader? {
    let at = f.dataOffset
    guard let bytes = read(DynamicDiskHeader.size, at: at, kind: .header) else {
      report("header", at, "cannot read the dynamic header at offset \(at) (file is \(eof) bytes)")
      return nil
    }
    headerOffset = at
    let h = DynamicDiskHeader(decoding: bytes)
    guard h.hasValidCookie else {
      report("header.cookie", at, "invalid cookie (expected 'cxsparse')")
      return nil
    }
    if !h.hasValidChecksum {
      report(
        "header.checksum", at + 36,
        "invalid checksum \(VHDCheck.hex(h.checksum)) (computed \(VHDCheck.hex(h.computedChecksum())))")
    }
    if h.headerVersion != 0x0001_0000 {
      report("header.header_version", at + 24, "invalid header version \(VHDCheck.hex(h.headerVersion))")
    }
    if h.dataOffset != UInt64.max {
      report("header.data_offset", at + 8, "invalid data offset \(h.dataOffset) (must be all ones)")
    }
    let batEnd = VHDCheck.add(h.tableOffset, 4 * UInt64(h.maxTableEntries))
    var tableSound = true
    if h.tableOffset == 0 || h.tableOffset % 512 != 0 {
      report(
        "header.table_offset", at + 16,
        "invalid table offset \(h.tableOffset) (must be non-zero and sector aligned)")
      tableSound = false
    } else if batEnd > footerStart {
      report(
        "header.table_offset", at + 16,
        "invalid table offset: the BAT (\(h.maxTableEntries) entries at \(h.tableOffset)) runs past the footer at \(footerStart)"
      )
      tableSound = false
    }
    var blockSound = true
    if h.blockSize.nonzeroBitCount != 1 {
      report("header.block_size", at + 32, "invalid block size \(h.blockSize) (not a power of two)")
      blockSound = false
    } else if h.blockSize < 512 {
      report("header.block_size", at + 32, "invalid block size \(h.blockSize) (smaller than a sector)")
      blockSound = false
    }
    if h.reserved1 != 0 {
      report("header.reserved1", at + 60, "invalid reserved bits \(VHDCheck.hex(h.reserved1))")
    }
    if let i = h.reserved2.firstIndex(where: { $0 != 0 }) {
      report("header.reserved2", at + 768 + UInt64(i), "invalid reserved bits: byte \(768 + i) is non-zero")
    }
    tableUsable = tableSound && blockSound
    return h
  }

  /// Parent fields: all zero for a dynamic disk; for a differencing disk a parent timestamp not
  /// in the future and a decodable parent name.
  func checkParentFields(footer f: HardDiskFooter, header h: DynamicDiskHeader) {
    let at = headerOffset
    if f.diskType == .differencing {
      if !options.ignoreTimestamps && Int64(h.parentTimestamp) > latestTimestamp {
        report(
          "header.parent_timestamp", at + 56,
          "parent creation time in future (\(VHDTimestamp.toUnix(h.parentTimestamp)) > now \(options.now))")
      }
      if VHDCheck.parentName(h) == nil {
        report("header.parent_unicode_name", at + 64, "invalid parent name (not UTF-16BE ASCII)")
      } else if let end = VHDCheck.parentNameEnd(h),
        let i = h.parentUnicodeName[end...].firstIndex(where: { $0 != 0 })
      {
        report(
          "header.parent_unicode_name", at + 64 + UInt64(i),
          "invalid parent name: byte \(i) after the name's terminating NUL is not zero")
      }
      return
    }
    if !h.parentUnicodeName.allSatisfy({ $0 == 0 }) {
      report("header.parent_unicode_name", at + 64, "invalid non-null parent name in a dynamic disk")
    }
    if h.locators.contains(where: { $0 != .empty }) {
      report(
        "header.parent_locators", at + UInt64(DynamicDiskHeader.locatorTableOffset),
        "invalid non-null parent locators in a dynamic disk")
    }
    if !h.parentUniqueID.isNull {
      report("header.parent_unique_id", at + 40, "invalid non-null parent uuid in a dynamic disk")
    }
    if h.parentTimestamp != 0 {
      report("header.parent_timestamp", at + 56, "invalid non-zero parent timestamp in a dynamic disk")
    }
  }
}

extension VHDCheck {
  /// The byte index just past the parent name's terminating NUL (nil: the name fills the field).
  static func parentNameEnd(_ h: DynamicDiskHeader) -> Int? {
    for i in stride(from: 0, to: h.parentUnicodeName.count - 1, by: 2)
    where h.parentUnicodeName[i] == 0 && h.parentUnicodeName[i + 1] == 0 {
      return i + 2
    }
    return nil
  }

  /// The parent name as blktap decodes it: UTF-16BE up to the first NUL, ASCII only (libvhd
  /// converts it with iconv to ASCII). Nil when it does not decode.
  static func parentName(_ h: DynamicDiskHeader) -> String? {
    var scalars = String.UnicodeScalarView()
    for i in stride(from: 0, to: h.parentUnicodeName.count - 1, by: 2) {
      let unit = UInt16(h.parentUnicodeName[i]) << 8 | UInt16(h.parentUnicodeName[i + 1])
      if unit == 0 { break }
      guard unit < 0x80, let scalar = Unicode.Scalar(unit) else { return nil }
      scalars.append(scalar)
    }
    return String(scalars)
  }
}

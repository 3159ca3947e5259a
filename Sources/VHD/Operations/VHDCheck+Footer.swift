// SPDX-License-Identifier: GPL-3.0-or-later

extension VHDCheck {
  /// A rule a structure broke: the field (without the structure prefix), its offset inside the
  /// structure, and the message.
  struct Finding: Equatable, Sendable {
    var field: String
    var at: UInt64
    var message: String
  }

  /// The footer rules of `vhd-util check` (docs/vhd-format.md#hard-disk-footer,
  /// docs/vhd-format.md#hidden-flag, docs/vhd-format.md#vhd-util-check) for one copy. A bad cookie
  /// stops there: the rest of the sector is not a footer.
  static func footerFindings(_ f: HardDiskFooter, options: CheckOptions) -> [Finding] {
    var out: [Finding] = []
    func add(_ field: String, _ at: UInt64, _ message: String) {
      out.append(Finding(field: field, at: at, message: message))
    }
    if f.cookie == HardDiskFooter.poisonCookie {
      add("cookie", 0, "disk is poisoned ('v_poison': interrupted journaled resize)")
      return out
    }
    if !f.hasValidCookie {
      add("cookie", 0, "invalid cookie (expected 'conectix')")
      return out
    }
    if !f.hasValidChecksum {
      add("checksum", 64, "invalid checksum \(hex(f.checksum)) (computed \(hex(f.computedChecksum())))")
    }
    if f.features & 2 == 0 {
      add("features", 8, "reserved feature bit 1 is not set (features \(hex(f.features)))")
    }
    if f.features & ~3 != 0 {
      add("features", 8, "invalid extra features \(hex(f.features & ~3))")
    }
    if f.formatVersion != 0x0001_0000 {
      add("file_format_version", 12, "invalid file format version \(hex(f.formatVersion))")
    }
    if !f.diskType.isSparse && f.dataOffset != UInt64.max {
      add("data_offset", 16, "invalid data offset \(f.dataOffset) (a fixed disk has all ones)")
    }
    if !options.ignoreTimestamps {
      let latest = options.now - VHDTimestamp.unixOffset + timestampSlack
      if Int64(f.timestamp) > latest {
        add(
          "timestamp", 24,
          "creation time in future (\(VHDTimestamp.toUnix(f.timestamp)) > now \(options.now))")
      }
    }
    if isTapCreator(f) && f.creatorVersion > HardDiskFooter.tapVersion {
      add("creator_version", 32, "unsupported tap creator version \(versionText(f.creatorVersion))")
    }
    if f.currentSize > VHDLimits.maximumSize {
      // Every other command refuses to open it (HardDiskFooter's limit); check says so too.
      add("current_size", 48, "current size \(f.currentSize) bytes exceeds the 2040 GiB limit")
    }
    let maximum = maximumGeometry(currentSize: f.currentSize)
    if f.geometry.packed > maximum.packed {
      add(
        "disk_geometry", 56,
        "geometry \(f.geometry) too large for \(f.currentSize) bytes (at most \(maximum))")
    }
    switch f.diskType {
    case .fixed, .dynamic, .differencing: break
    case .other(let v): add("disk_type", 60, "invalid type \(v)")
    }
    if f.savedState > 1 {
      add("saved_state", 84, "invalid 'saved' state \(f.savedState)")
    }
    if f.hidden > 1 {
      add("hidden", 85, "invalid 'hidden' state \(f.hidden)")
    }
    if let i = f.reserved.firstIndex(where: { $0 != 0 }) {
      add(
        "reserved", 86 + UInt64(i), "invalid 'reserved' bits: byte \(86 + i) is \(hex(UInt32(f.reserved[i])))"
      )
    }
    if f.uniqueID.isNull {
      add("unique_id", 68, "invalid (null) uuid")
    }
    return out
  }

  /// Whether the remaining checks can rely on this footer.
  static func usable(_ f: HardDiskFooter) -> Bool {
    guard f.hasValidCookie, f.hasValidChecksum else { return false }
    switch f.diskType {
    case .fixed, .dynamic, .differencing: return true
    case .other: return false
    }
  }

  /// `vhd_chs(current_size)`; sizes past the CHS maximum saturate the same way (and do not trap).
  static func maximumGeometry(currentSize: UInt64) -> DiskGeometry {
    let cap: UInt64 = 65535 * 16 * 255 * 512
    return DiskGeometry(forSize: min(currentSize, cap))
  }

  static func versionText(_ v: UInt32) -> String { "\(v >> 16).\(v & 0xFFFF)" }

  /// blktap tolerates a copy at 0 that differs from the primary only by a hidden byte set
  /// without a checksum update, for tap 0.1 and 1.1 (docs/vhd-format.md#hidden-flag).
  static func differsOnlyByLegacyHidden(primary: [UInt8], copy: [UInt8], copyFooter: HardDiskFooter) -> Bool {
    guard isTapCreator(copyFooter), copyFooter.hidden != 0,
      copyFooter.creatorVersion == 0x0000_0001 || copyFooter.creatorVersion == 0x0001_0001
    else { return false }
    var cleared = copy
    cleared[85] = 0
    return cleared == primary
  }
}

extension VHDCheck.FileCheck {
  /// Checks the primary footer and, for dynamic and differencing disks, the copy at offset 0.
  /// Returns the footer the remaining checks should use, or nil when neither is usable.
  func checkFooters() -> HardDiskFooter? {
    let size: UInt64 = eof % 512 == 0 ? 512 : 511
    guard eof >= size else {
      report("footer", nil, "file of \(eof) bytes is too small to hold a footer")
      return nil
    }
    let base = eof - size
    guard var primaryBytes = read(Int(size), at: base, kind: .footer) else {
      report("footer", base, "cannot read the footer")
      return nil
    }
    primaryBytes += [UInt8](repeating: 0, count: 512 - Int(size))
    let primary = HardDiskFooter(decoding: primaryBytes)
    let primaryFindings = VHDCheck.footerFindings(primary, options: options)
    primaryFooterBad = !primaryFindings.isEmpty
    let primaryUsable = VHDCheck.usable(primary)
    let reportPrimary = {
      if primaryBytes.prefix(Int(size)).allSatisfy({ $0 == 0xC7 }) {
        self.report(
          "footer", base, "primary footer is tapdisk's 0xC7 fill (image open, or not closed cleanly)")
      } else {
        self.report(primaryFindings, prefix: "footer", base: base)
      }
    }
    // Only dynamic and differencing disks have a copy at 0; when the primary is unreadable the
    // copy's own cookie decides whether there is one.
    let copyExpected = primary.hasValidCookie ? primary.diskType.isSparse : eof >= 1024
    guard copyExpected, eof >= 512, let copyBytes = read(512, at: 0, kind: .footer) else {
      reportPrimary()
      return primaryUsable ? primary : nil
    }
    let copy = HardDiskFooter(decoding: copyBytes)
    if !primary.hasValidCookie && !copy.hasValidCookie {
      reportPrimary()
      return nil
    }
    let copyUsable = VHDCheck.usable(copy) && copy.diskType.isSparse
    let identical =
      copyBytes == primaryBytes
      || VHDCheck.differsOnlyByLegacyHidden(primary: primaryBytes, copy: copyBytes, copyFooter: copy)
    let useCopy = options.ignorePrimaryFooter && copyUsable && (primaryFooterBad || !identical)
    if !useCopy { reportPrimary() }
    if !identical {
      report(VHDCheck.footerFindings(copy, options: options), prefix: "footer_copy", base: 0)
      if primaryUsable && !useCopy {
        report("footer_copy", 0, "primary and backup footers do not match")
      }
    }
    if useCopy { return copy }
    if primaryUsable { return primary }
    return copyUsable ? copy : nil
  }

  func report(_ findings: [VHDCheck.Finding], prefix: String, base: UInt64) {
    for f in findings { report(prefix + "." + f.field, base + f.at, f.message) }
  }
}

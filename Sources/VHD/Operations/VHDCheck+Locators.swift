// SPDX-License-Identifier: GPL-3.0-or-later

extension VHDCheck {
  /// Finding a differencing disk's parent the way blktap does (docs/vhd-format.md#parent-locators);
  /// shared by `check` and `scan`.
  enum ParentLookup {
    /// `count` bytes at `offset` of `device`, nil when they are not all below `limit` (default: the
    /// device's length) or on a read error.
    static func read(
      _ device: any BlockDevice, _ count: Int, at offset: UInt64, kind: IOKind, limit: UInt64? = nil
    ) -> [UInt8]? {
      let length = limit ?? device.length
      guard count >= 0, offset <= length, UInt64(count) <= length - offset else { return nil }
      var b = [UInt8](repeating: 0, count: count)
      do {
        try b.withUnsafeMutableBytes { try device.read(into: $0, at: offset, kind: kind) }
      } catch {
        return nil
      }
      return b
    }

    /// The `data_length` payload bytes of a locator whose data space lies inside the device.
    static func payload(_ loc: ParentLocator, device: any BlockDevice) -> [UInt8]? {
      guard let space = loc.dataSpaceBytes, loc.platformDataLength > 0,
        UInt64(loc.platformDataLength) <= space, loc.platformDataOffset <= device.length,
        space <= device.length - loc.platformDataOffset
      else { return nil }
      return read(device, Int(loc.platformDataLength), at: loc.platformDataOffset, kind: .locator)
    }

    /// The path a MacX/W2ku/W2ru locator holds (nil for other codes or an undecodable payload).
    static func decodedPath(_ loc: ParentLocator, device: any BlockDevice) -> String? {
      guard loc.isResolvable, let code = loc.code, let bytes = payload(loc, device: device) else {
        return nil
      }
      return ParentLocator.decodePath(code: code, payload: bytes)
    }

    /// blktap's `vhd_find_parent`: an absolute path that exists is taken as is; otherwise the
    /// path is appended to the child's folder. Returns the canonical path of an existing file.
    static func resolve(_ decoded: String, childPath: String, storage: any Storage) -> String? {
      if decoded.hasPrefix("/") && storage.exists(decoded) { return storage.canonicalPath(decoded) }
      let folder = VHDPath.directory(storage.canonicalPath(childPath))
      let candidate = PathNormalizer.normalize(folder + "/" + decoded)
      guard storage.exists(candidate) else { return nil }
      return storage.canonicalPath(candidate)
    }

    /// blktap's `vhd_parent_locator_get`: the first locator, in slot order, that decodes and
    /// resolves.
    static func firstResolved(
      _ h: DynamicDiskHeader, device: any BlockDevice, childPath: String, storage: any Storage
    ) -> String? {
      for loc in h.locators {
        guard let decoded = decodedPath(loc, device: device),
          let location = resolve(decoded, childPath: childPath, storage: storage)
        else { continue }
        return location
      }
      return nil
    }

    /// The locator `vhd-util scan` falls back to when none resolves: MacX if any, else the last
    /// W2ru, else the first non-empty slot.
    static func fallbackLocator(_ h: DynamicDiskHeader) -> ParentLocator? {
      var chosen: ParentLocator?
      for loc in h.locators {
        if loc.code == .macX { return loc }
        if loc.code == .w2ru { chosen = loc }
        if chosen == nil && !loc.isEmpty { chosen = loc }
      }
      return chosen
    }

    /// A footer as libvhd reads one: at EOF − 512, else the legacy 511 bytes at EOF − 511, else
    /// the copy at 0 (dynamic/differencing only). Valid means cookie (or `v_poison`) and checksum.
    static func readFooter(_ device: any BlockDevice) -> HardDiskFooter? {
      let length = device.length
      func valid(_ f: HardDiskFooter) -> Bool {
        (f.hasValidCookie || f.cookie == HardDiskFooter.poisonCookie) && f.hasValidChecksum
      }
      if length >= 512, let b = read(device, 512, at: length - 512, kind: .footer) {
        let f = HardDiskFooter(decoding: b)
        if valid(f) { return f }
      }
      if length % 512 == 511, let b = read(device, 511, at: length - 511, kind: .footer) {
        let f = HardDiskFooter(decoding: b + [0])
        if valid(f) { return f }
      }
      if length >= 512, let b = read(device, 512, at: 0, kind: .footer) {
        let f = HardDiskFooter(decoding: b)
        if valid(f) && f.diskType.isSparse { return f }
      }
      return nil
    }
  }
}

extension VHDCheck.FileCheck {
  /// The parent locator rules (docs/vhd-format.md#parent-locators,
  /// docs/vhd-format.md#vhd-util-check) and the parent's identity
  /// (docs/vhd-format.md#parent-identity).
  func checkLocators(header h: DynamicDiskHeader) {
    guard let device else { return }
    let name = VHDCheck.parentName(h)
    var codes = Set<UInt32>()
    var found = 0
    var comparedParents = Set<String>()
    for (i, loc) in h.locators.enumerated() {
      let field = "locator[\(i)]"
      let at = headerOffset + UInt64(DynamicDiskHeader.locatorTableOffset + i * ParentLocator.entrySize)
      guard let code = loc.code else {
        report(field + ".code", at, "invalid platform code \(VHDCheck.hex(loc.platformCode))")
        continue
      }
      if code == .none {
        if loc != .empty { report(field, at, "non-zero locator with platform code none") }
        continue
      }
      let regionSound = checkLocatorRegion(loc, field: field, at: at)
      if loc.reserved != 0 {
        report(field + ".reserved", at + 12, "invalid reserved bits \(VHDCheck.hex(loc.reserved))")
      }
      if !codes.insert(loc.platformCode).inserted {
        report(field + ".code", at, "duplicate platform code \(code)")
        continue
      }
      guard loc.isResolvable, regionSound else { continue }
      let dataAt = loc.platformDataOffset
      guard let decoded = VHDCheck.ParentLookup.decodedPath(loc, device: device) else {
        report(field + ".data", dataAt, "cannot decode the \(code) path")
        continue
      }
      let base = VHDPath.basename(decoded)
      if let name, base != name {
        report(field + ".data", dataAt, "locator name (\(base)) does not match header name (\(name))")
        continue
      }
      guard let location = VHDCheck.ParentLookup.resolve(decoded, childPath: path, storage: storage) else {
        report(field + ".data", dataAt, "points to missing file \(decoded)")
        continue
      }
      found += 1
      if comparedParents.insert(location).inserted { checkParentIdentity(header: h, parent: location) }
    }
    if found == 0 {
      report("parent", nil, "could not find parent \(name ?? "(undecodable name)")")
    }
    if !h.parentUniqueID.isNull {
      parentToFollow = VHDCheck.ParentLookup.firstResolved(
        h, device: device, childPath: path, storage: storage)
    }
  }

  /// Offset, space and length of a non-empty locator; true when its data can be read.
  private func checkLocatorRegion(_ loc: ParentLocator, field: String, at: UInt64) -> Bool {
    var sound = true
    if loc.platformDataOffset == 0 {
      report(field + ".data_offset", at + 16, "invalid data offset 0")
      sound = false
    }
    if loc.platformDataSpace == 0 {
      report(field + ".data_space", at + 4, "invalid data space 0")
      sound = false
    } else if loc.dataSpaceBytes == nil {
      report(
        field + ".data_space", at + 4,
        "invalid data space \(loc.platformDataSpace): neither sectors (< 512) nor a multiple of 512 bytes")
      sound = false
    }
    if loc.platformDataLength == 0 {
      report(field + ".data_length", at + 8, "invalid data length 0")
      sound = false
    } else if let space = loc.dataSpaceBytes, UInt64(loc.platformDataLength) > space {
      report(
        field + ".data_length", at + 8,
        "data length \(loc.platformDataLength) exceeds the data space \(space)")
      sound = false
    }
    if sound, let space = loc.dataSpaceBytes, VHDCheck.add(loc.platformDataOffset, space) > footerStart {
      report(
        field + ".data_offset", at + 16,
        "locator data (\(space) bytes at \(loc.platformDataOffset)) runs past the footer at \(footerStart)")
      sound = false
    }
    return sound
  }

  /// The parent's footer unique id must equal the header's parent UUID (unless `-I`, or the
  /// parent is raw: null parent UUID).
  private func checkParentIdentity(header h: DynamicDiskHeader, parent: String) {
    guard !options.ignoreParentUUID, !h.parentUniqueID.isNull else { return }
    let footer: HardDiskFooter?
    do {
      footer = VHDCheck.ParentLookup.readFooter(try storage.open(parent, writable: false))
    } catch {
      report("parent", nil, "error opening parent \(parent): \(error)")
      return
    }
    guard let footer else {
      report("parent", nil, "error opening parent \(parent): no valid footer")
      return
    }
    if footer.uniqueID != h.parentUniqueID {
      report(
        "header.parent_unique_id", headerOffset + 40,
        "invalid parent uuid \(h.parentUniqueID): parent \(parent) is \(footer.uniqueID)")
    }
  }
}

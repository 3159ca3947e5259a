// SPDX-License-Identifier: GPL-3.0-or-later

extension VHDImage {
  /// Opens the VHD at `path`. Read-write opens refuse anything a reader would also refuse, plus an
  /// invalid BATmap (as tapdisk does); read-only opens ignore a bad BATmap (as libvhd does).
  public static func open(
    _ path: String, storage: any Storage, writable: Bool = false, options: EngineOptions = .init()
  ) throws -> VHDImage {
    let device: any BlockDevice
    do { device = try storage.open(path, writable: writable) } catch {
      throw VHDError.wrap(error, file: path)
    }
    return try open(device: device, path: path, options: options)
  }

  /// Opens a raw image (the parent of a blktap differencing disk with a null parent UUID).
  public static func openRaw(
    _ path: String, storage: any Storage, writable: Bool = false, options: EngineOptions = .init()
  ) throws -> VHDImage {
    let device: any BlockDevice
    do { device = try storage.open(path, writable: writable) } catch {
      throw VHDError.wrap(error, file: path)
    }
    let size = device.length / 512 * 512
    return VHDImage(
      path: path, device: device, format: .raw,
      footer: HardDiskFooter(diskType: .fixed, currentSize: size, uniqueID: .null, timestamp: 0),
      header: nil, virtualSize: size, options: options)
  }

  /// Opens a VHD on an already-open device.
  public static func open(device: any BlockDevice, path: String, options: EngineOptions = .init()) throws
    -> VHDImage
  {
    let observed = device as? ObservedDevice
    let backed = device as? any BackedDevice ?? observed?.parseKeeper
    if let parsed = backed?.cachedParse {
      observed?.replay(parsed.reads)
      return parsed.image(on: device, path: path, options: options)
    }
    let reader = MetadataReader(device: device, path: path)
    let (footer, footerAtEnd) = try reader.readFooter()
    if let problem = footer.openProblem() {
      throw VHDError(
        problem.field == "checksum"
          ? .badChecksum
          : problem.field == "cookie"
            ? .badCookie
            : problem.field == "current size" ? .sizeTooLarge : .invalidField,
        file: path, field: "footer.\(problem.field)", offset: device.length >= 512 ? device.length - 512 : 0,
        problem.message)
    }
    if footer.diskType == .fixed {
      guard device.length >= footer.currentSize + 511 else {
        throw VHDError(
          .truncated, file: path, field: "footer.current_size", offset: 48,
          "fixed disk of \(footer.currentSize) bytes but the file has \(device.length)")
      }
      return VHDImage(
        path: path, device: device, format: .fixed, footer: footer, header: nil,
        virtualSize: footer.currentSize, options: options)
    }
    let header = try reader.readHeader(at: footer.dataOffset)
    try reader.validate(header: header, footer: footer)
    // Blocks may extend to EOF − 512 when the end footer is valid, to EOF when only the offset-0
    // copy is (a live or crashed tapdisk image: its last block overwrote the end footer).
    let dataLimitSector = footerAtEnd ? (device.length - 512) / 512 : device.length / 512
    let (bat, padding) = try reader.readBAT(header: header)
    let layout = BlktapLayout(maxTableEntries: header.maxTableEntries, tableOffset: header.tableOffset)
    var metadataEnd = max(footer.dataOffset + 1024, header.tableOffset + layout.batBytes)
    let batmapResult = reader.readBATMap(
      footer: footer, header: header, layout: layout, bat: bat, dataLimitSector: dataLimitSector)
    var batmapHeader: BATMapHeader?
    var batmap: [UInt8] = []
    var rebuildBATMap = false
    var batmapSound = true
    switch batmapResult {
    case .absent: break
    case .present(let h, let map):
      batmapHeader = h
      batmap = map
      metadataEnd = max(metadataEnd, h.batmapOffset + UInt64(h.batmapSize) * 512)
    case .invalid(let error):
      batmapSound = false
      if device.isWritable, let h = reader.rebuildableBATMapHeader(error, layout: layout) {
        // Sound header, map or checksum not: rebuilt from the bitmaps once the image is open.
        batmapHeader = h
        batmap = [UInt8](repeating: 0, count: Int(h.batmapSize) * 512)
        metadataEnd = max(metadataEnd, h.batmapOffset + UInt64(h.batmapSize) * 512)
        rebuildBATMap = true
      } else if device.isWritable {
        throw error
      } else {
        // Read-only: ignore the BATmap like libvhd; its space is still metadata.
        metadataEnd = max(metadataEnd, layout.locatorsOffset)
      }
    }
    var locatorPaths: [(slot: Int, code: ParentLocator.Code, path: String)] = []
    if footer.diskType == .differencing {
      let (paths, end) = try reader.readLocators(header: header, dataLimitSector: dataLimitSector)
      locatorPaths = paths
      metadataEnd = max(metadataEnd, end)
    }
    let metadataEndSector = (metadataEnd + 511) / 512
    let allocation = try reader.validate(
      bat: bat, header: header, footer: footer, metadataEndSector: metadataEndSector,
      dataLimitSector: dataLimitSector)
    let blockLayout = BlockLayout(
      header: header, virtualSize: footer.currentSize, metadataEndSector: metadataEndSector)
    let parsed = ParsedImage(
      footer: footer, footerAtEnd: footerAtEnd, header: header, layout: blockLayout,
      blockTable: BlockTable(
        entries: bat, padding: padding, allocatedCount: allocation.allocatedCount,
        endOfDataSector: allocation.endOfDataSector),
      batmap: BATMapState(header: batmapHeader, bits: batmap), locatorPaths: locatorPaths,
      reads: reader.log.reads)
    // A damaged BATmap makes the result depend on the open's mode (rebuilt, refused or ignored): not kept.
    if batmapSound { backed?.cacheParse(parsed) }
    let image = parsed.image(on: device, path: path, options: options)
    if rebuildBATMap { try BATMapRepair.rebuild(image) }
    return image
  }
}

/// Reads and validates metadata for `VHDImage.open`. Each failure names the structure field.
struct MetadataReader {
  let device: any BlockDevice
  let path: String
  /// Every read made, in order: kept with the parse for an observed open that reuses it.
  let log = ParsedImage.ReadLog()
  /// The kind of every metadata read (and of every read an observed open replays).
  static let readKind = IOKind.footer

  func read(_ count: Int, at offset: UInt64, field: String) throws -> [UInt8] {
    var b = [UInt8](repeating: 0, count: count)
    try b.withUnsafeMutableBytes { try read(into: $0, at: offset, field: field) }
    return b
  }

  /// Fills `buffer` from `offset`. A metadata read fills every byte on every device (only a
  /// `.data` read of a metadata-only device leaves bytes as they were), so `buffer` may start
  /// uninitialised.
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, field: String) throws {
    guard offset <= device.length, UInt64(buffer.count) <= device.length - offset else {
      throw VHDError(
        .truncated, file: path, field: field, offset: offset,
        "needs \(buffer.count) bytes at offset \(offset) but the file has \(device.length)")
    }
    log.reads.append(ParsedImage.Read(offset: offset, length: UInt64(buffer.count)))
    do { try device.read(into: buffer, at: offset, kind: Self.readKind) } catch {
      throw VHDError.wrap(error, file: path, field: field)
    }
  }

  /// The footer, with blktap's fallback order: end−512, end−511 (legacy), offset 0
  /// (docs/vhd-format.md#finding-the-footer). Returns whether the footer at the end was the one
  /// used.
  func readFooter() throws -> (HardDiskFooter, atEnd: Bool) {
    let length = device.length
    guard length >= 511 else {
      throw VHDError(
        .truncated, file: path, field: "footer", offset: 0, "file of \(length) bytes has no footer")
    }
    var firstProblem: VHDError?
    if length >= 512 {
      let f = HardDiskFooter(decoding: try read(512, at: length - 512, field: "footer"))
      if f.hasValidCookie && f.hasValidChecksum { return (f, true) }
      if f.cookie == HardDiskFooter.poisonCookie {
        throw VHDError(
          .invalidField, file: path, field: "footer.cookie", offset: length - 512,
          "disk is poisoned (v_poison)")
      }
      firstProblem = footerError(f, offset: length - 512)
    }
    if length % 512 == 511 {
      var b = try read(511, at: length - 511, field: "footer")
      b.append(0)
      let f = HardDiskFooter(decoding: b)
      if f.hasValidCookie && f.hasValidChecksum { return (f, true) }
      firstProblem = firstProblem ?? footerError(f, offset: length - 511)
    }
    if length >= 512 {
      let f = HardDiskFooter(decoding: try read(512, at: 0, field: "footer"))
      if f.hasValidCookie && f.hasValidChecksum && f.diskType.isSparse { return (f, false) }
    }
    throw firstProblem!
  }

  private func footerError(_ f: HardDiskFooter, offset: UInt64) -> VHDError {
    if !f.hasValidCookie {
      return VHDError(
        .badCookie, file: path, field: "footer.cookie", offset: offset, "bad cookie (expected 'conectix')")
    }
    return VHDError(
      .badChecksum, file: path, field: "footer.checksum", offset: offset + 64,
      "stored 0x\(String(f.checksum, radix: 16)), computed 0x\(String(f.computedChecksum(), radix: 16))")
  }

  func readHeader(at offset: UInt64) throws -> DynamicDiskHeader {
    guard offset % 512 == 0 else {
      throw VHDError(
        .invalidField, file: path, field: "footer.data_offset", offset: 16,
        "header offset \(offset) is not sector aligned")
    }
    let h = DynamicDiskHeader(decoding: try read(1024, at: offset, field: "header"))
    if !h.hasValidCookie {
      throw VHDError(
        .badCookie, file: path, field: "header.cookie", offset: offset, "bad cookie (expected 'cxsparse')")
    }
    if !h.hasValidChecksum {
      throw VHDError(
        .badChecksum, file: path, field: "header.checksum", offset: offset + 36,
        "stored 0x\(String(h.checksum, radix: 16)), computed 0x\(String(h.computedChecksum(), radix: 16))")
    }
    return h
  }

  func validate(header h: DynamicDiskHeader, footer f: HardDiskFooter) throws {
    let base = f.dataOffset
    if h.headerVersion != 0x0001_0000 {
      throw VHDError(
        .invalidField, file: path, field: "header.header_version", offset: base + 24,
        "unsupported version 0x\(String(h.headerVersion, radix: 16))")
    }
    if h.dataOffset != UInt64.max {
      throw VHDError(
        .invalidField, file: path, field: "header.data_offset", offset: base + 8, "must be all ones")
    }
    if h.blockSize == 0 || h.blockSize & (h.blockSize - 1) != 0 || h.blockSize < 512 {
      throw VHDError(
        .blockSizeNotPowerOfTwo, file: path, field: "header.block_size", offset: base + 32,
        "block size \(h.blockSize) is not a power of two ≥ 512")
    }
    if h.blockSize > VHDLimits.blockSize {
      throw VHDError(
        .unsupported, file: path, field: "header.block_size", offset: base + 32,
        "block size \(h.blockSize) is larger than 2 MiB (libvhd rejects it)")
    }
    let needed = (f.currentSize + UInt64(h.blockSize) - 1) / UInt64(h.blockSize)
    if UInt64(h.maxTableEntries) < needed {
      throw VHDError(
        .invalidField, file: path, field: "header.max_table_entries", offset: base + 28,
        "\(h.maxTableEntries) entries cannot map \(f.currentSize) bytes (needs \(needed))")
    }
    if h.tableOffset == 0 || h.tableOffset % 512 != 0 {
      throw VHDError(
        .invalidField, file: path, field: "header.table_offset", offset: base + 16,
        "table offset \(h.tableOffset) must be non-zero and sector aligned")
    }
    if h.tableOffset < base + 1024 && h.tableOffset + 4 * UInt64(h.maxTableEntries) > base {
      throw VHDError(
        .invalidField, file: path, field: "header.table_offset", offset: base + 16, "BAT overlaps the header")
    }
  }

  enum BATMapResult {
    case absent
    case present(BATMapHeader, [UInt8])
    case invalid(VHDError)
  }

  /// The BATmap per libvhd's presence rules (docs/vhd-format.md#batmap-presence): tap creator ≥ 1.2
  /// must have one; 1.1 has one when the cookie is there; others have none.
  func readBATMap(
    footer f: HardDiskFooter, header h: DynamicDiskHeader, layout: BlktapLayout, bat: [UInt32],
    dataLimitSector: UInt64
  ) -> BATMapResult {
    guard f.creatorApplication == HardDiskFooter.tapCreator, f.creatorVersion >= 0x0001_0001 else {
      return .absent
    }
    let offset = layout.batmapHeaderOffset
    func invalid(_ field: String, _ at: UInt64, _ message: String) -> BATMapResult {
      .invalid(VHDError(.invalidField, file: path, field: "batmap.\(field)", offset: at, message))
    }
    guard let raw = try? read(512, at: offset, field: "batmap") else {
      return f.creatorVersion == 0x0001_0001
        ? .absent : invalid("header", offset, "BATmap header missing (file truncated)")
    }
    let bh = BATMapHeader(decoding: raw)
    if !bh.hasValidCookie {
      return f.creatorVersion == 0x0001_0001
        ? .absent : invalid("cookie", offset, "bad cookie (expected 'tdbatmap')")
    }
    if bh.batmapVersion > BATMapHeader.currentVersion {
      return invalid("version", offset + 20, "unsupported version 0x\(String(bh.batmapVersion, radix: 16))")
    }
    if bh.batmapSize == 0 || UInt64(bh.batmapSize) * 4096 < UInt64(h.maxTableEntries) {
      return invalid(
        "size", offset + 16, "map of \(bh.batmapSize) sectors cannot hold \(h.maxTableEntries) bits")
    }
    if bh.batmapOffset == 0 || bh.batmapOffset % 512 != 0
      || bh.batmapOffset + UInt64(bh.batmapSize) * 512 > dataLimitSector * 512
    {
      return invalid("offset", offset + 8, "map offset \(bh.batmapOffset) is not a sector inside the file")
    }
    guard var map = try? read(Int(bh.batmapSize) * 512, at: bh.batmapOffset, field: "batmap") else {
      return invalid("offset", offset + 8, "map unreadable")
    }
    let len = min(map.count, BATMapHeader.checksummedLength(currentSize: f.currentSize))
    let sum = map.withUnsafeBytes {
      batmapChecksum(UnsafeRawBufferPointer(rebasing: $0[0..<len]), signed: bh.usesSignedChecksum)
    }
    if sum != bh.checksum {
      return invalid(
        "checksum", offset + 24,
        "stored 0x\(String(bh.checksum, radix: 16)), computed 0x\(String(sum, radix: 16))")
    }
    // Bytes past `len` are neither read nor checksummed by libvhd: treat them as zero.
    for i in len..<map.count { map[i] = 0 }
    let blocks = Int(f.currentSize >> 21)
    let fullButUnused = map.withUnsafeBytes { bits -> Int? in
      let limit = min(blocks, bat.count)
      var b = SectorBitmap.nextSet(bits.baseAddress!, from: 0, below: limit)
      while b < limit {
        if bat[b] == VHDImage.unusedEntry { return b }
        b = SectorBitmap.nextSet(bits.baseAddress!, from: b + 1, below: limit)
      }
      return nil
    }
    if let b = fullButUnused {
      return invalid("map", bh.batmapOffset + UInt64(b / 8), "batmap shows unallocated block \(b) full")
    }
    return .present(bh, map)
  }

  /// Decodes the parent locators; returns the resolvable paths and the end of the locator data.
  func readLocators(header h: DynamicDiskHeader, dataLimitSector: UInt64) throws -> (
    [(slot: Int, code: ParentLocator.Code, path: String)], UInt64
  ) {
    var paths: [(slot: Int, code: ParentLocator.Code, path: String)] = []
    var end: UInt64 = 0
    for (i, loc) in h.locators.enumerated() where !loc.isEmpty {
      let field = "header.parent_locator[\(i)]"
      let entryOffset = 512 + UInt64(DynamicDiskHeader.locatorTableOffset + i * ParentLocator.entrySize)
      guard let code = loc.code else {
        throw VHDError(
          .unknownLocatorCode, file: path, field: field + ".platform_code", offset: entryOffset,
          "unknown platform code 0x\(String(loc.platformCode, radix: 16))")
      }
      guard let space = loc.dataSpaceBytes else {
        throw VHDError(
          .invalidField, file: path, field: field + ".platform_data_space", offset: entryOffset + 4,
          "data space \(loc.platformDataSpace) is neither sectors nor a multiple of 512 bytes")
      }
      guard loc.platformDataOffset % 512 == 0,
        loc.platformDataOffset + max(space, UInt64(loc.platformDataLength)) <= dataLimitSector * 512
      else {
        throw VHDError(
          .truncated, file: path, field: field + ".platform_data_offset", offset: entryOffset + 16,
          "locator data at \(loc.platformDataOffset) lies outside the file")
      }
      end = max(end, loc.platformDataOffset + space)
      guard loc.isResolvable, loc.platformDataLength > 0 else { continue }
      let payload = try read(Int(loc.platformDataLength), at: loc.platformDataOffset, field: field)
      if let p = ParentLocator.decodePath(code: code, payload: payload) {
        paths.append((i, code, p))
      }
    }
    return (paths, end)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
@testable import VHD

/// Builds VHD files byte by byte from the Format types, in exactly blktap's layout
/// (docs/vhd-format.md#blktap-layout): footer copy at 0, header at 512, BAT at 1536 (unused entries
/// 0xFFFFFFFF, zero padding), `tdbatmap` header right after the padded BAT, its map, MacX/W2ku/W2ru
/// locators for a differencing disk, page-aligned blocks, footer at the end. Independent of the
/// engine's own writer, so tests of `check`, `scan` and the engine can compare against it. Edits
/// damage files in a storage field by field.
enum TestImages {
  static let mib: UInt64 = 1 << 20
  /// Unix time every image is created at.
  static let unixTime: Int64 = CreationStamp.fixedUnixTime
  static var timestamp: UInt32 { VHDTimestamp.fromUnix(unixTime) }

  /// A distinct, non-null UUID per `n`.
  static func uuid(_ n: UInt8) -> DiskUUID {
    var b = [UInt8](repeating: n, count: 16)
    b[0] = 0xA0
    b[6] = 0x40 | (n & 0x0F)
    b[8] = 0x80 | (n & 0x3F)
    return DiskUUID(bytes: b)
  }

  /// What a differencing disk points at.
  struct Parent {
    /// Header parent name (blktap stores the basename).
    var name: String
    var uuid: DiskUUID
    /// Relative path written into the three locators (`./p.vhd`, `../d/p.vhd`).
    var relativePath: String

    init(name: String, uuid: DiskUUID, relativePath: String? = nil) {
      self.name = name
      self.uuid = uuid
      self.relativePath = relativePath ?? "./" + name
    }
  }

  /// A block to allocate: BAT index, and how many leading sectors are written (bitmap bits set,
  /// data non-zero). A full block also gets its BATmap bit.
  struct Block {
    var index: Int
    var sectors: Int = 4096
  }

  /// A built file and where its parts are.
  struct Built {
    var bytes: [UInt8]
    var layout: BlktapLayout
    /// Absolute offsets of the locator payloads (differencing only).
    var locatorOffsets: [UInt64]
    /// BAT entry (sector of the bitmap) of each allocated block, by index.
    var entries: [Int: UInt32]
    var footerOffset: UInt64 { UInt64(bytes.count) - 512 }
  }

  /// A dynamic disk (no parent) or differencing disk of `size` bytes.
  static func build(
    size: UInt64 = 8 << 20, uuid: DiskUUID, hidden: UInt8 = 0, parent: Parent? = nil, blocks: [Block] = []
  ) -> Built {
    let layout = BlktapLayout(virtualSize: size)
    var footer = HardDiskFooter(
      diskType: parent == nil ? .dynamic : .differencing, currentSize: size, uniqueID: uuid,
      timestamp: timestamp)
    footer.hidden = hidden
    footer.updateChecksum()
    var header = DynamicDiskHeader(maxTableEntries: layout.maxTableEntries)

    // Locators, back to back after the map.
    var locatorData: [UInt8] = []
    var locatorOffsets: [UInt64] = []
    if let parent {
      header.parentUniqueID = parent.uuid
      header.parentTimestamp = timestamp
      header.setParentName(parent.name)
      for (slot, code) in [ParentLocator.Code.macX, .w2ku, .w2ru].enumerated() {
        let payload = ParentLocator.payload(for: code, relativePath: parent.relativePath)
        let space = BlktapLayout.pad(UInt64(payload.count))
        let offset = layout.locatorsOffset + UInt64(locatorData.count)
        header.locators[slot] = ParentLocator(
          code: code, dataSpace: UInt32(space), dataLength: UInt32(payload.count), dataOffset: offset)
        locatorOffsets.append(offset)
        locatorData += payload + [UInt8](repeating: 0, count: Int(space) - payload.count)
      }
    }
    let metadataEnd = layout.locatorsOffset + UInt64(locatorData.count)

    // Blocks, each page aligned after the previous one.
    var bat = [UInt32](repeating: 0xFFFF_FFFF, count: Int(layout.maxTableEntries))
    var map = [UInt8](repeating: 0, count: Int(layout.batmapSectors) * 512)
    var entries: [Int: UInt32] = [:]
    var blockData: [UInt8] = []
    var end = metadataEnd / 512
    for block in blocks {
      let entry = BlktapLayout.alignedBlockStart(afterSector: end, bitmapSectors: 1)
      blockData += [UInt8](repeating: 0, count: Int(entry - end) * 512)
      var bitmap = [UInt8](repeating: 0, count: 512)
      var data = [UInt8](repeating: 0, count: Int(VHDLimits.blockSize))
      for s in 0..<block.sectors {
        bitmap[s >> 3] |= 0x80 >> UInt8(s & 7)
        for k in 0..<512 { data[s * 512 + k] = UInt8(truncatingIfNeeded: s &+ k | 1) }
      }
      if block.sectors == 4096 { map[block.index >> 3] |= 0x80 >> UInt8(block.index & 7) }
      blockData += bitmap + data
      bat[block.index] = UInt32(entry)
      entries[block.index] = UInt32(entry)
      end = entry + 1 + 4096
    }
    header.updateChecksum()
    var batmapHeader = BATMapHeader(batmapOffset: layout.batmapOffset, batmapSize: layout.batmapSectors)
    batmapHeader.checksum = batmapChecksumOf(map, currentSize: size, signed: false)

    var bytes = footer.encoded() + header.encoded()
    var batBytes = [UInt8](repeating: 0, count: Int(layout.batBytes))
    for (i, e) in bat.enumerated() { batBytes.putBE32(e, at: 4 * i) }
    bytes += batBytes + batmapHeader.encoded() + map + locatorData + blockData + footer.encoded()
    return Built(bytes: bytes, layout: layout, locatorOffsets: locatorOffsets, entries: entries)
  }

  /// A fixed disk: `size` zero bytes, then the footer.
  static func buildFixed(size: UInt64 = 4 << 20, uuid: DiskUUID) -> [UInt8] {
    let footer = HardDiskFooter(diskType: .fixed, currentSize: size, uniqueID: uuid, timestamp: timestamp)
    return [UInt8](repeating: 0, count: Int(size)) + footer.encoded()
  }

  /// The BATmap checksum libvhd computes: over exactly the length of
  /// docs/vhd-format.md#batmap-checksum.
  static func batmapChecksumOf(_ map: [UInt8], currentSize: UInt64, signed: Bool) -> UInt32 {
    let length = BATMapHeader.checksummedLength(currentSize: currentSize)
    let padded = map + [UInt8](repeating: 0, count: max(0, length - map.count))
    return padded.withUnsafeBytes {
      batmapChecksum(UnsafeRawBufferPointer(rebasing: $0[0..<length]), signed: signed)
    }
  }

  // MARK: storage

  /// A fresh in-memory storage.
  static func storage() -> MemoryStorage { MemoryStorage(flavour: .inMemory, now: unixTime) }

  /// Writes `bytes` as the whole file at `path` (created or replaced).
  static func store(_ bytes: [UInt8], at path: String, in storage: any Storage) throws {
    let device = storage.exists(path) ? try storage.open(path, writable: true) : try storage.create(path)
    try device.truncate(to: 0)
    try bytes.withUnsafeBytes { try device.write($0, at: 0, kind: .data) }
  }

  /// The whole file.
  static func load(_ path: String, from storage: any Storage) throws -> [UInt8] {
    let device = try storage.open(path, writable: false)
    var b = [UInt8](repeating: 0, count: Int(device.length))
    try b.withUnsafeMutableBytes { try device.read(into: $0, at: 0, kind: .data) }
    return b
  }

  /// Rewrites the file after `body` changed its bytes.
  static func edit(_ path: String, in storage: any Storage, _ body: (inout [UInt8]) -> Void) throws {
    var b = try load(path, from: storage)
    body(&b)
    try store(b, at: path, in: storage)
  }

  /// Changes the footer at the end (`primary`) and/or the copy at 0 (`copy`), recomputing the
  /// checksum unless `checksum` is false.
  static func editFooters(
    _ path: String, in storage: any Storage, primary: Bool = true, copy: Bool = true, checksum: Bool = true,
    _ body: (inout HardDiskFooter) -> Void
  ) throws {
    try edit(path, in: storage) { b in
      var places: [Int] = []
      if primary { places.append(b.count - 512) }
      if copy { places.append(0) }
      for at in places {
        var f = HardDiskFooter(decoding: Array(b[at..<at + 512]))
        body(&f)
        if checksum { f.updateChecksum() }
        b.replaceSubrange(at..<at + 512, with: f.encoded())
      }
    }
  }

  /// Changes the dynamic header at 512, recomputing its checksum unless `checksum` is false.
  static func editHeader(
    _ path: String, in storage: any Storage, checksum: Bool = true, _ body: (inout DynamicDiskHeader) -> Void
  ) throws {
    try edit(path, in: storage) { b in
      var h = DynamicDiskHeader(decoding: Array(b[512..<1536]))
      body(&h)
      if checksum { h.updateChecksum() }
      b.replaceSubrange(512..<1536, with: h.encoded())
    }
  }

  /// Sets BAT entry `index` (BAT at 1536).
  static func setBAT(_ path: String, in storage: any Storage, index: Int, to value: UInt32) throws {
    try edit(path, in: storage) { $0.putBE32(value, at: 1536 + 4 * index) }
  }

  /// Changes the BATmap header and map of a blktap-layout file; recomputes the map checksum
  /// unless `checksum` is false.
  static func editBATMap(
    _ path: String, in storage: any Storage, checksum: Bool = true,
    _ body: (inout BATMapHeader, inout [UInt8]) -> Void
  ) throws {
    try edit(path, in: storage) { b in
      let footer = HardDiskFooter(decoding: Array(b[0..<512]))
      let header = DynamicDiskHeader(decoding: Array(b[512..<1536]))
      let layout = BlktapLayout(maxTableEntries: header.maxTableEntries, tableOffset: header.tableOffset)
      let at = Int(layout.batmapHeaderOffset)
      var bh = BATMapHeader(decoding: Array(b[at..<at + 512]))
      let mapAt = Int(layout.batmapOffset)
      let mapEnd = mapAt + Int(layout.batmapSectors) * 512
      var map = Array(b[mapAt..<mapEnd])
      body(&bh, &map)
      if checksum {
        bh.checksum = batmapChecksumOf(map, currentSize: footer.currentSize, signed: bh.usesSignedChecksum)
      }
      b.replaceSubrange(at..<at + 512, with: bh.encoded())
      b.replaceSubrange(mapAt..<mapEnd, with: map)
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// The 1024-byte dynamic disk header (docs/vhd-format.md#dynamic-disk-header). Like the footer,
/// decoding keeps every field as read so encode(decode(x)) == x and `check` can name each bad
/// field.
public struct DynamicDiskHeader: Equatable, Sendable {
  public static let size = 1024
  public static let cookieValue: [UInt8] = Array("cxsparse".utf8)
  static let checksumRange = 36..<40
  public static let locatorCount = 8
  public static let locatorTableOffset = 576

  public var cookie: [UInt8]
  public var dataOffset: UInt64
  public var tableOffset: UInt64
  public var headerVersion: UInt32
  public var maxTableEntries: UInt32
  public var blockSize: UInt32
  public var checksum: UInt32
  public var parentUniqueID: DiskUUID
  public var parentTimestamp: UInt32
  public var reserved1: UInt32
  /// Parent's file name, UTF-16 big-endian, zero padded (512 bytes).
  public var parentUnicodeName: [UInt8]
  public var locators: [ParentLocator]
  public var reserved2: [UInt8]

  /// A blktap header: table at 1536, 2 MiB blocks, one BAT slot per 2 MiB of `maxTableEntries`.
  public init(maxTableEntries: UInt32, blockSize: UInt32 = VHDLimits.blockSize, tableOffset: UInt64 = 1536) {
    cookie = Self.cookieValue
    dataOffset = UInt64.max
    self.tableOffset = tableOffset
    headerVersion = 0x0001_0000
    self.maxTableEntries = maxTableEntries
    self.blockSize = blockSize
    checksum = 0
    parentUniqueID = .null
    parentTimestamp = 0
    reserved1 = 0
    parentUnicodeName = [UInt8](repeating: 0, count: 512)
    locators = [ParentLocator](repeating: .empty, count: Self.locatorCount)
    reserved2 = [UInt8](repeating: 0, count: 256)
    checksum = computedChecksum()
  }

  public init(decoding b: [UInt8]) {
    precondition(b.count == Self.size)
    cookie = b.bytes(0, 8)
    dataOffset = b.be64(8)
    tableOffset = b.be64(16)
    headerVersion = b.be32(24)
    maxTableEntries = b.be32(28)
    blockSize = b.be32(32)
    checksum = b.be32(36)
    parentUniqueID = DiskUUID(bytes: b.bytes(40, 16))
    parentTimestamp = b.be32(56)
    reserved1 = b.be32(60)
    parentUnicodeName = b.bytes(64, 512)
    locators = (0..<Self.locatorCount).map {
      ParentLocator(decoding: b, at: Self.locatorTableOffset + $0 * ParentLocator.entrySize)
    }
    reserved2 = b.bytes(768, 256)
  }

  public func encoded() -> [UInt8] {
    var b = [UInt8](repeating: 0, count: Self.size)
    b.replaceSubrange(0..<8, with: cookie.prefix(8))
    b.putBE64(dataOffset, at: 8)
    b.putBE64(tableOffset, at: 16)
    b.putBE32(headerVersion, at: 24)
    b.putBE32(maxTableEntries, at: 28)
    b.putBE32(blockSize, at: 32)
    b.putBE32(checksum, at: 36)
    b.replaceSubrange(40..<56, with: parentUniqueID.bytes)
    b.putBE32(parentTimestamp, at: 56)
    b.putBE32(reserved1, at: 60)
    b.replaceSubrange(64..<576, with: parentUnicodeName.prefix(512))
    for (i, l) in locators.prefix(Self.locatorCount).enumerated() {
      l.encode(into: &b, at: Self.locatorTableOffset + i * ParentLocator.entrySize)
    }
    b.replaceSubrange(768..<1024, with: reserved2.prefix(256))
    return b
  }

  public func computedChecksum() -> UInt32 {
    onesComplementChecksum(encoded(), skipping: Self.checksumRange)
  }

  public mutating func updateChecksum() { checksum = computedChecksum() }

  public var hasValidCookie: Bool { cookie == Self.cookieValue }
  public var hasValidChecksum: Bool { checksum == computedChecksum() }

  /// Sectors per block.
  public var sectorsPerBlock: UInt32 { blockSize / 512 }

  /// Size of a block's sector bitmap in sectors: one bit per sector, padded to a sector.
  public var bitmapSectors: UInt32 { (sectorsPerBlock / 8 + 511) / 512 }

  /// The parent's name decoded from UTF-16BE (nil if it is not valid UTF-16).
  public var parentName: String? {
    var units: [UInt16] = []
    for i in stride(from: 0, to: 512, by: 2) {
      let u = UInt16(parentUnicodeName[i]) << 8 | UInt16(parentUnicodeName[i + 1])
      if u == 0 { break }
      units.append(u)
    }
    var out = ""
    for r in Unicode.UTF16.decode(units) {
      guard let r else { return nil }
      out.unicodeScalars.append(r)
    }
    return out
  }

  /// Stores `name` as UTF-16BE (blktap stores the parent's basename only). Returns false when it
  /// does not fit in 512 bytes.
  @discardableResult
  public mutating func setParentName(_ name: String) -> Bool {
    let units = Array(name.utf16)
    guard units.count * 2 <= 512 else { return false }
    var b = [UInt8](repeating: 0, count: 512)
    for (i, u) in units.enumerated() {
      b[2 * i] = UInt8(u >> 8)
      b[2 * i + 1] = UInt8(truncatingIfNeeded: u)
    }
    parentUnicodeName = b
    return true
  }
}

// Simple decoding helper over Unicode.UTF16.
extension Unicode.UTF16 {
  static func decode(_ units: [UInt16]) -> [Unicode.Scalar?] {
    var out: [Unicode.Scalar?] = []
    var it = units.makeIterator()
    var codec = Unicode.UTF16()
    loop: while true {
      switch codec.decode(&it) {
      case .scalarValue(let s): out.append(s)
      case .emptyInput: break loop
      case .error: out.append(nil)
      }
    }
    return out
  }
}

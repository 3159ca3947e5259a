// SPDX-License-Identifier: GPL-3.0-or-later

/// blktap's BATmap header (`tdbatmap`, docs/vhd-format.md#batmap): one sector right after the
/// padded BAT. The map it points to has one bit per BAT slot, set when that block's sector bitmap
/// is all ones, so a reader may skip the bitmap (a BATmap shortcut) and coalesce may copy the whole
/// block.
public struct BATMapHeader: Equatable, Sendable {
  public static let size = 512
  public static let cookieValue: [UInt8] = Array("tdbatmap".utf8)
  /// Version 1.2: unsigned checksum. 1.1 used a signed one.
  public static let currentVersion: UInt32 = 0x0001_0002

  public var cookie: [UInt8]
  /// Byte offset of the map.
  public var batmapOffset: UInt64
  /// Map size in sectors.
  public var batmapSize: UInt32
  public var batmapVersion: UInt32
  /// Checksum of the map bytes (not of this header).
  public var checksum: UInt32
  public var marker: UInt8
  public var keyhashCookie: UInt8
  public var keyhashNonce: [UInt8]
  public var keyhashHash: [UInt8]
  public var reserved: [UInt8]

  public init(batmapOffset: UInt64, batmapSize: UInt32) {
    cookie = Self.cookieValue
    self.batmapOffset = batmapOffset
    self.batmapSize = batmapSize
    batmapVersion = Self.currentVersion
    checksum = 0xFFFF_FFFF
    marker = 0
    keyhashCookie = 0
    keyhashNonce = [UInt8](repeating: 0, count: 32)
    keyhashHash = [UInt8](repeating: 0, count: 32)
    reserved = [UInt8](repeating: 0, count: 418)
  }

  public init(decoding b: [UInt8]) {
    precondition(b.count == Self.size)
    cookie = b.bytes(0, 8)
    batmapOffset = b.be64(8)
    batmapSize = b.be32(16)
    batmapVersion = b.be32(20)
    checksum = b.be32(24)
    marker = b[28]
    keyhashCookie = b[29]
    keyhashNonce = b.bytes(30, 32)
    keyhashHash = b.bytes(62, 32)
    reserved = b.bytes(94, 418)
  }

  public func encoded() -> [UInt8] {
    var b = [UInt8](repeating: 0, count: Self.size)
    b.replaceSubrange(0..<8, with: cookie.prefix(8))
    b.putBE64(batmapOffset, at: 8)
    b.putBE32(batmapSize, at: 16)
    b.putBE32(batmapVersion, at: 20)
    b.putBE32(checksum, at: 24)
    b[28] = marker
    b[29] = keyhashCookie
    b.replaceSubrange(30..<62, with: keyhashNonce.prefix(32))
    b.replaceSubrange(62..<94, with: keyhashHash.prefix(32))
    b.replaceSubrange(94..<512, with: reserved.prefix(418))
    return b
  }

  public var hasValidCookie: Bool { cookie == Self.cookieValue }

  /// Whether the checksum is computed with sign-extended bytes (version 1.1).
  public var usesSignedChecksum: Bool { batmapVersion == 0x0001_0001 }

  /// How many map bytes libvhd reads, writes and checksums: derived from the disk size, not from
  /// `batmapSize`: `512 * max(1, ceil((current_size >> 24) / 512))`
  /// (docs/vhd-format.md#batmap-checksum).
  public static func checksummedLength(currentSize: UInt64) -> Int {
    let units = currentSize >> 24
    return 512 * Int(max(1, (units + 511) / 512))
  }
}

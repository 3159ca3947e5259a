// SPDX-License-Identifier: GPL-3.0-or-later

/// The 512-byte hard disk footer (docs/vhd-format.md#hard-disk-footer). Decoding never fails: every
/// field is kept as read (reserved bytes included) so that encode(decode(x)) == x and `check` can
/// name each bad field. Validation for opening is `openProblem()`; the full rule set lives in
/// `VHDCheck`.
public struct HardDiskFooter: Equatable, Sendable {
  public static let size = 512
  public static let cookieValue: [UInt8] = Array("conectix".utf8)
  /// Cookie of a VHD disabled during a journaled resize; libvhd refuses to open it.
  public static let poisonCookie: [UInt8] = Array("v_poison".utf8)
  /// blktap's creator application `tap\0` and current creator version 1.3
  /// (docs/vhd-format.md#blktap-creator-versions).
  public static let tapCreator: UInt32 = 0x7461_7000
  public static let tapVersion: UInt32 = 0x0001_0003
  /// Checksum field position, excluded from the sum.
  static let checksumRange = 64..<68

  public var cookie: [UInt8]
  public var features: UInt32
  public var formatVersion: UInt32
  public var dataOffset: UInt64
  public var timestamp: UInt32
  /// Who wrote the file (bytes 28..39).
  public var creator: Creator
  public var originalSize: UInt64
  public var currentSize: UInt64
  public var geometry: DiskGeometry
  public var diskType: DiskType
  public var checksum: UInt32
  public var uniqueID: DiskUUID
  public var savedState: UInt8
  /// blktap's hidden flag (byte 85): 1 marks an internal tree node (base copy, GC target).
  public var hidden: UInt8
  /// Bytes 86..511; must be zero.
  public var reserved: [UInt8]

  /// A blktap-style footer: creator `tap` 1.3, host OS 0, features 2
  /// (docs/vhd-format.md#compatibility-rules).
  public init(
    diskType: DiskType, currentSize: UInt64, uniqueID: DiskUUID, timestamp: UInt32
  ) {
    cookie = Self.cookieValue
    features = 2
    formatVersion = 0x0001_0000
    dataOffset = diskType == .fixed ? UInt64.max : 512
    self.timestamp = timestamp
    creator = Creator(application: Self.tapCreator, version: Self.tapVersion, hostOS: 0)
    originalSize = currentSize
    self.currentSize = currentSize
    geometry = DiskGeometry(forSize: currentSize)
    self.diskType = diskType
    checksum = 0
    self.uniqueID = uniqueID
    savedState = 0
    hidden = 0
    reserved = [UInt8](repeating: 0, count: 426)
    checksum = computedChecksum()
  }

  /// Decodes 512 bytes (a 511-byte legacy footer is zero-padded by the caller).
  public init(decoding b: [UInt8]) {
    precondition(b.count == Self.size)
    cookie = b.bytes(0, 8)
    features = b.be32(8)
    formatVersion = b.be32(12)
    dataOffset = b.be64(16)
    timestamp = b.be32(24)
    creator = Creator(application: b.be32(28), version: b.be32(32), hostOS: b.be32(36))
    originalSize = b.be64(40)
    currentSize = b.be64(48)
    geometry = DiskGeometry(packed: b.be32(56))
    diskType = DiskType(rawValue: b.be32(60))
    checksum = b.be32(64)
    uniqueID = DiskUUID(bytes: b.bytes(68, 16))
    savedState = b[84]
    hidden = b[85]
    reserved = b.bytes(86, 426)
  }

  /// The 512 bytes, with the stored `checksum` field as is.
  public func encoded() -> [UInt8] {
    var b = [UInt8](repeating: 0, count: Self.size)
    b.replaceSubrange(0..<8, with: cookie.prefix(8))
    b.putBE32(features, at: 8)
    b.putBE32(formatVersion, at: 12)
    b.putBE64(dataOffset, at: 16)
    b.putBE32(timestamp, at: 24)
    b.putBE32(creator.application, at: 28)
    b.putBE32(creator.version, at: 32)
    b.putBE32(creator.hostOS, at: 36)
    b.putBE64(originalSize, at: 40)
    b.putBE64(currentSize, at: 48)
    b.putBE32(geometry.packed, at: 56)
    b.putBE32(diskType.rawValue, at: 60)
    b.putBE32(checksum, at: 64)
    b.replaceSubrange(68..<84, with: uniqueID.bytes)
    b[84] = savedState
    b[85] = hidden
    b.replaceSubrange(86..<512, with: reserved.prefix(426))
    return b
  }

  /// The checksum the current field values call for.
  public func computedChecksum() -> UInt32 {
    onesComplementChecksum(encoded(), skipping: Self.checksumRange)
  }

  /// Recomputes the checksum after fields changed.
  public mutating func updateChecksum() { checksum = computedChecksum() }

  public var hasValidCookie: Bool { cookie == Self.cookieValue }

  /// blktap creator versions 0.1 and 1.1 changed the hidden byte without updating the checksum;
  /// libvhd accepts a checksum that matches with byte 85 read as zero
  /// (docs/vhd-format.md#hidden-flag).
  public var isLegacyTap: Bool {
    creatorApplication == Self.tapCreator
      && (creatorVersion == 0x0000_0001 || creatorVersion == 0x0001_0001)
  }

  /// Whether the checksum matches (allowing the legacy hidden quirk).
  public var hasValidChecksum: Bool {
    if checksum == computedChecksum() { return true }
    if isLegacyTap && hidden != 0 {
      var copy = self
      copy.hidden = 0
      return checksum == copy.computedChecksum()
    }
    return false
  }

  /// Why this footer cannot be used to open a disk, or nil. Only what a reader must refuse; the
  /// complete rule set is in `VHDCheck`.
  public func openProblem() -> (field: String, message: String)? {
    if cookie == Self.poisonCookie {
      return ("cookie", "disk is poisoned (v_poison: interrupted journaled resize)")
    }
    if !hasValidCookie { return ("cookie", "bad cookie (expected 'conectix')") }
    if !hasValidChecksum {
      return (
        "checksum",
        "bad checksum 0x\(String(checksum, radix: 16)) (computed 0x\(String(computedChecksum(), radix: 16)))"
      )
    }
    if formatVersion != 0x0001_0000 {
      return ("file format version", "unsupported 0x\(String(formatVersion, radix: 16))")
    }
    switch diskType {
    case .fixed, .dynamic, .differencing: break
    case .other(let v): return ("disk type", "unsupported disk type \(v)")
    }
    if diskType.isSparse && dataOffset == UInt64.max {
      return ("data offset", "dynamic disk without a header offset")
    }
    if currentSize > VHDLimits.maximumSize {
      return ("current size", "\(currentSize) bytes exceeds the 2040 GiB limit")
    }
    if creatorApplication == Self.tapCreator && creatorVersion <= 0x0000_0001 {
      return ("creator version", "blktap 0.1 images (little-endian bitmaps) are not supported")
    }
    return nil
  }
}

/// Limits shared by blktap, qemu and the storage manager.
public enum VHDLimits {
  /// qemu and the storage manager cap a VHD at 2040 GiB (0xFF000000 sectors).
  public static let maximumSize: UInt64 = 0xFF00_0000 * 512
  /// blktap uses 2 MiB blocks only (docs/vhd-format.md#dynamic-disk-header).
  public static let blockSize: UInt32 = 2 * 1024 * 1024
  /// The storage manager's chain depth limit.
  public static let maximumChainDepth = 30
}

extension HardDiskFooter {
  /// The creator fields (docs/vhd-format.md#hard-disk-footer,
  /// docs/vhd-format.md#blktap-creator-versions): application (`tap\0` for blktap), its version, and
  /// the host OS (0 from blktap).
  public struct Creator: Equatable, Sendable {
    public var application: UInt32
    public var version: UInt32
    public var hostOS: UInt32

    public init(application: UInt32, version: UInt32, hostOS: UInt32) {
      self.application = application
      self.version = version
      self.hostOS = hostOS
    }
  }

  /// `creator_app` under its vhd-format name.
  public var creatorApplication: UInt32 {
    get { creator.application }
    set { creator.application = newValue }
  }

  /// `creator_ver` under its vhd-format name.
  public var creatorVersion: UInt32 {
    get { creator.version }
    set { creator.version = newValue }
  }

  /// `creator_os` under its vhd-format name.
  public var creatorHostOS: UInt32 {
    get { creator.hostOS }
    set { creator.hostOS = newValue }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// The undo journal of a journaled grow (docs/vhd-format.md#growing-the-virtual-size), the role
/// `vhd-util resize -j` gives its journal file: written whole and flushed before the VHD is
/// touched, removed once the grown file is complete. It holds every byte of the original file the
/// grow may overwrite — the prefix up to the new end of metadata and the end footer, which moved
/// blocks are appended over — and the original length, so `revert` puts the file back byte for
/// byte. A journal whose checksum fails was cut while being written, before the VHD changed.
struct VHDResizeJournal: Equatable {
  static let magic: [UInt8] = Array("vhdsimRJ".utf8)
  /// Magic, original length, prefix length, footer offset, checksum.
  static let headerSize = 40

  /// Length of the VHD before the grow.
  var originalLength: UInt64
  /// The original bytes `[0, prefix.count)`.
  var prefix: [UInt8]
  /// Where the original end footer sat, and its bytes.
  var footerOffset: UInt64
  var footer: [UInt8]

  func encoded() -> [UInt8] {
    var b = [UInt8](repeating: 0, count: Self.headerSize)
    b.replaceSubrange(0..<8, with: Self.magic)
    b.putBE64(originalLength, at: 8)
    b.putBE64(UInt64(prefix.count), at: 16)
    b.putBE64(footerOffset, at: 24)
    b += prefix
    b += footer
    b.putBE64(Self.checksum(b), at: 32)
    return b
  }

  /// Decodes a journal file's bytes; nil when they are not one whole journal (cut while written).
  init?(decoding b: [UInt8]) {
    guard b.count >= Self.headerSize + HardDiskFooter.size, Array(b[0..<8]) == Self.magic else { return nil }
    let prefixLength = b.be64(16)
    guard prefixLength <= UInt64(b.count),
      UInt64(b.count) == UInt64(Self.headerSize) + prefixLength + UInt64(HardDiskFooter.size),
      b.be64(32) == Self.checksum(b)
    else { return nil }
    originalLength = b.be64(8)
    footerOffset = b.be64(24)
    let start = Self.headerSize
    prefix = Array(b[start..<start + Int(prefixLength)])
    footer = Array(b[(start + Int(prefixLength))...])
  }

  init(originalLength: UInt64, prefix: [UInt8], footerOffset: UInt64, footer: [UInt8]) {
    self.originalLength = originalLength
    self.prefix = prefix
    self.footerOffset = footerOffset
    self.footer = footer
  }

  /// FNV-1a over every byte but the checksum field itself.
  static func checksum(_ b: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for (i, byte) in b.enumerated() where !(32..<40).contains(i) {
      h = (h ^ UInt64(byte)) &* 0x100_0000_01b3
    }
    return h
  }
}

extension VHDResize {
  /// What `revert` found.
  public enum RevertOutcome: Equatable, Sendable {
    /// No journal: nothing to do.
    case noJournal
    /// The journal was cut while being written, so the VHD was never touched: the journal is gone.
    case discardedIncomplete
    /// The VHD is back, byte for byte, to what it was before the grow; the journal is gone.
    case reverted
  }

  /// `vhd-util revert`: undoes an interrupted journaled grow of `path` from `journal`. Idempotent:
  /// a revert cut by another crash is simply run again.
  @discardableResult
  public static func revert(_ path: String, journal: String, storage: any Storage) throws -> RevertOutcome {
    guard storage.exists(journal) else { return .noJournal }
    let bytes = try readAll(journal, storage: storage)
    guard let j = VHDResizeJournal(decoding: bytes) else {
      try removeJournal(journal, storage: storage)
      return .discardedIncomplete
    }
    do {
      let device = try storage.open(path, writable: true)
      try j.prefix.withUnsafeBytes { try device.write($0, at: 0, kind: .header) }
      try j.footer.withUnsafeBytes { try device.write($0, at: j.footerOffset, kind: .footer) }
      if device.length != j.originalLength { try device.truncate(to: j.originalLength) }
      try device.flush()
    } catch { throw VHDError.wrap(error, file: path, field: "resize journal") }
    try removeJournal(journal, storage: storage)
    return .reverted
  }

  /// Writes the journal whole and flushes it (the commit point before the VHD changes).
  static func writeJournal(_ j: VHDResizeJournal, to journal: String, storage: any Storage) throws {
    if storage.exists(journal) {
      throw VHDError(
        .alreadyExists, file: journal, field: "resize journal",
        "a journal is already there: revert the interrupted resize first")
    }
    do {
      let device = try storage.create(journal)
      try j.encoded().withUnsafeBytes { try device.write($0, at: 0, kind: .data) }
      try device.flush()
    } catch { throw VHDError.wrap(error, file: journal, field: "resize journal") }
  }

  static func removeJournal(_ journal: String, storage: any Storage) throws {
    do { try storage.remove(journal) } catch {
      throw VHDError.wrap(error, file: journal, field: "resize journal")
    }
  }

  private static func readAll(_ path: String, storage: any Storage) throws -> [UInt8] {
    do {
      let device = try storage.open(path, writable: false)
      var b = [UInt8](repeating: 0, count: Int(device.length))
      try b.withUnsafeMutableBytes { try device.read(into: $0, at: 0, kind: .data) }
      return b
    } catch { throw VHDError.wrap(error, file: path, field: "resize journal") }
  }
}

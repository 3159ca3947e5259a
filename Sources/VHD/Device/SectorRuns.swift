// SPDX-License-Identifier: GPL-3.0-or-later

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A 512-byte sector whose 4,096 bits (MSB first in each byte, as VHD bitmaps are) form at most two
/// runs of ones, packed into one negative word: how `SectorStore` keeps such sectors without bytes.
///
/// Why: a VHD block's bitmap sector is all ones when the block is fully written, all zeros when
/// just allocated, and one or two runs after one or two contiguous guest writes; a BAT sector of
/// unallocated entries is all ones. Layout: bit 63 set (negative, unlike an arena slot); run `r`
/// (0 or 1) at bits `24r ..< 24r + 24`, first bit in the low 12 bits and last bit in the high 12;
/// the run count at bits 48-49.
enum SectorRuns {
  static let bits = 4096
  static let zeros = Int64(bitPattern: 1 << 63)
  static let ones = zeros | 1 << 48 | Int64(bits - 1) << 12

  /// The code of the 512 bytes at `bytes`, or nil when they hold more than two runs.
  static func code(of bytes: UnsafeRawPointer) -> Int64? {
    var edges: UInt64 = 0  // Up to four 13-bit edge positions, in order.
    var edgeCount: UInt64 = 0
    var carry: UInt64 = 0
    for index in 0..<(bits >> 6) {
      let word = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: index << 3, as: UInt64.self))
      var changes = word ^ (word >> 1 | carry << 63)
      carry = word & 1
      while changes != 0 {
        guard edgeCount < 4 else { return nil }
        let lead = changes.leadingZeroBitCount
        edges |= UInt64(index << 6 + lead) << (13 * edgeCount)
        edgeCount += 1
        changes &= ~(1 << UInt64(63 - lead))
      }
    }
    if carry != 0 {
      guard edgeCount < 4 else { return nil }
      edges |= UInt64(bits) << (13 * edgeCount)
      edgeCount += 1
    }
    var code = UInt64(bitPattern: zeros) | (edgeCount / 2) << 48
    for run in 0..<edgeCount / 2 {
      let first = edges >> (26 * run) & 0x1FFF
      let end = edges >> (26 * run + 13) & 0x1FFF
      code |= (first | (end - 1) << 12) << (24 * run)
    }
    return Int64(bitPattern: code)
  }

  /// Writes the 512 bytes `code` stands for at `bytes`.
  static func decode(_ code: Int64, into bytes: UnsafeMutableRawPointer) {
    DeviceSupport.zero(bytes, bits >> 3)
    let raw = UInt64(bitPattern: code)
    for run in 0..<Int(raw >> 48 & 3) {
      let field = raw >> UInt64(24 * run)
      setBits(bytes, from: Int(field & 0xFFF), to: Int(field >> 12 & 0xFFF) + 1)
    }
  }

  /// Copies `count` bytes from `offset` of the sector `code` stands for to `destination`.
  static func copy(_ code: Int64, from offset: Int, count: Int, to destination: UnsafeMutableRawPointer) {
    if offset == 0 && count == bits >> 3 {
      decode(code, into: destination)
      return
    }
    withUnsafeTemporaryAllocation(byteCount: bits >> 3, alignment: 8) { sector in
      decode(code, into: sector.baseAddress!)
      destination.copyMemory(from: sector.baseAddress! + offset, byteCount: count)
    }
  }

  /// Sets bits `[from, to)`, MSB first in each byte.
  private static func setBits(_ bytes: UnsafeMutableRawPointer, from: Int, to: Int) {
    var bit = from
    while bit < to && bit & 7 != 0 {
      bytes.storeBytes(
        of: bytes.load(fromByteOffset: bit >> 3, as: UInt8.self) | 0x80 >> (bit & 7), toByteOffset: bit >> 3,
        as: UInt8.self)
      bit += 1
    }
    let wholeEnd = to & ~7
    if bit < wholeEnd {
      _ = memset(bytes + (bit >> 3), 0xFF, (wholeEnd - bit) >> 3)
      bit = wholeEnd
    }
    while bit < to {
      bytes.storeBytes(
        of: bytes.load(fromByteOffset: bit >> 3, as: UInt8.self) | 0x80 >> (bit & 7), toByteOffset: bit >> 3,
        as: UInt8.self)
      bit += 1
    }
  }
}

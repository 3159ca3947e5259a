// SPDX-License-Identifier: GPL-3.0-or-later

/// Big-endian field access on raw structure bytes. Every multi-byte integer in every VHD structure
/// is big-endian (docs/vhd-format.md#conventions); keeping the conversions in one place keeps the
/// structure files declarative.
extension Array where Element == UInt8 {
  @inline(__always)
  func be16(_ offset: Int) -> UInt16 {
    UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
  }

  @inline(__always)
  func be32(_ offset: Int) -> UInt32 {
    var v: UInt32 = 0
    for i in 0..<4 { v = v << 8 | UInt32(self[offset + i]) }
    return v
  }

  @inline(__always)
  func be64(_ offset: Int) -> UInt64 {
    var v: UInt64 = 0
    for i in 0..<8 { v = v << 8 | UInt64(self[offset + i]) }
    return v
  }

  @inline(__always)
  mutating func putBE16(_ value: UInt16, at offset: Int) {
    self[offset] = UInt8(value >> 8)
    self[offset + 1] = UInt8(truncatingIfNeeded: value)
  }

  @inline(__always)
  mutating func putBE32(_ value: UInt32, at offset: Int) {
    for i in 0..<4 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(i))) }
  }

  @inline(__always)
  mutating func putBE64(_ value: UInt64, at offset: Int) {
    for i in 0..<8 { self[offset + i] = UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64(i))) }
  }

  /// A copy of `count` bytes at `offset`.
  func bytes(_ offset: Int, _ count: Int) -> [UInt8] { Array(self[offset..<offset + count]) }

  /// Whether every byte in the range is zero.
  func allZero(_ range: Range<Int>) -> Bool { self[range].allSatisfy { $0 == 0 } }
}

/// Four-character codes (creator application, host OS, locator platform codes) are stored as
/// big-endian u32; this renders them for humans, escaping non-printable bytes.
public func fourCharacterCode(_ value: UInt32) -> String {
  var s = ""
  for shift in stride(from: 24, through: 0, by: -8) {
    let b = UInt8(truncatingIfNeeded: value >> UInt32(shift))
    if b >= 0x20 && b < 0x7F {
      s.append(Character(Unicode.Scalar(b)))
    } else {
      s += "\\x" + String(b, radix: 16, uppercase: false).leftPadded(to: 2)
    }
  }
  return s
}

/// The big-endian u32 of a four-character ASCII code such as `"tap\0"`.
public func fourCharacterCode(_ text: String) -> UInt32 {
  var v: UInt32 = 0
  let bytes = Array(text.utf8)
  for i in 0..<4 { v = v << 8 | UInt32(i < bytes.count ? bytes[i] : 0) }
  return v
}

extension String {
  func leftPadded(to width: Int, with pad: Character = "0") -> String {
    count >= width ? self : String(repeating: pad, count: width - count) + self
  }
}

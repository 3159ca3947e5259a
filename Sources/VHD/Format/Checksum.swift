// SPDX-License-Identifier: GPL-3.0-or-later

/// The VHD one's-complement checksum (footer and dynamic header, docs/vhd-format.md#checksums): the
/// bitwise NOT of the wrapping u32 sum of every byte, with the 4-byte checksum field counted as
/// zero.
public func onesComplementChecksum(_ bytes: [UInt8], skipping checksumField: Range<Int>) -> UInt32 {
  var sum: UInt32 = 0
  for (i, b) in bytes.enumerated() where !checksumField.contains(i) {
    sum &+= UInt32(b)
  }
  return ~sum
}

/// The BATmap checksum (docs/vhd-format.md#batmap-checksum): NOT of the sum of the map bytes.
/// Version 1.2 adds bytes unsigned; version 1.1 added them as sign-extended chars.
public func batmapChecksum(_ map: UnsafeRawBufferPointer, signed: Bool) -> UInt32 {
  var sum: UInt32 = 0
  if signed {
    for b in map { sum &+= UInt32(bitPattern: Int32(Int8(bitPattern: b))) }
  } else {
    for b in map { sum &+= UInt32(b) }
  }
  return ~sum
}

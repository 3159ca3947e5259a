// SPDX-License-Identifier: GPL-3.0-or-later

/// A VHD unique id: 16 opaque bytes compared byte-wise. blktap copies libuuid bytes verbatim
/// (RFC 4122 order), so the usual text form reads the bytes in order.
public struct DiskUUID: Equatable, Hashable, Sendable, CustomStringConvertible {
  public var bytes: [UInt8]

  public init(bytes: [UInt8]) {
    precondition(bytes.count == 16, "a UUID has 16 bytes")
    self.bytes = bytes
  }

  /// The all-zero UUID: in a blktap differencing disk's header it means "raw parent"
  /// (docs/vhd-format.md#raw-parent).
  public static let null = DiskUUID(bytes: [UInt8](repeating: 0, count: 16))

  public var isNull: Bool { bytes.allSatisfy { $0 == 0 } }

  /// A version-4 UUID from 128 random bits of `generator` (a seeded generator gives
  /// reproducible files, which the simulator needs).
  public static func random(using generator: inout some RandomNumberGenerator) -> DiskUUID {
    var b = [UInt8](repeating: 0, count: 16)
    let hi = generator.next()
    let lo = generator.next()
    for i in 0..<8 {
      b[i] = UInt8(truncatingIfNeeded: hi >> (56 - 8 * UInt64(i)))
      b[8 + i] = UInt8(truncatingIfNeeded: lo >> (56 - 8 * UInt64(i)))
    }
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return DiskUUID(bytes: b)
  }

  /// Parses the 36-character text form.
  public init?(string: String) {
    let hex = string.filter { $0 != "-" }
    guard hex.count == 32 else { return nil }
    var out: [UInt8] = []
    var it = hex.makeIterator()
    while let a = it.next(), let b = it.next() {
      guard let v = UInt8(String([a, b]), radix: 16) else { return nil }
      out.append(v)
    }
    self.init(bytes: out)
  }

  public var description: String {
    var s = ""
    for (i, b) in bytes.enumerated() {
      if i == 4 || i == 6 || i == 8 || i == 10 { s += "-" }
      s += String(b, radix: 16).leftPadded(to: 2)
    }
    return s
  }
}

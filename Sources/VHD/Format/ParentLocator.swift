// SPDX-License-Identifier: GPL-3.0-or-later

/// One 24-byte entry of the dynamic header's parent locator table
/// (docs/vhd-format.md#parent-locators), and the payload codecs blktap uses: MacX is `file://` +
/// UTF-8 path, W2ku/W2ru are UTF-16LE with `\`.
public struct ParentLocator: Equatable, Sendable {
  public static let entrySize = 24

  /// Platform codes. libvhd rejects a header with any code outside this list.
  public enum Code: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case wi2r = 0x5769_3272
    case wi2k = 0x5769_326B
    case w2ru = 0x5732_7275
    case w2ku = 0x5732_6B75
    case mac = 0x4D61_6320
    case macX = 0x4D61_6358

    public var description: String { self == .none ? "none" : fourCharacterCode(rawValue) }
  }

  /// Raw platform code (kept as read: an unknown value is a reportable error, not a decode failure).
  public var platformCode: UInt32
  /// Stored data space. The spec says sectors; blktap writes bytes (a multiple of 512). See
  /// `dataSpaceBytes`.
  public var platformDataSpace: UInt32
  public var platformDataLength: UInt32
  public var reserved: UInt32
  public var platformDataOffset: UInt64

  public init(
    code: Code, dataSpace: UInt32, dataLength: UInt32, dataOffset: UInt64
  ) {
    platformCode = code.rawValue
    platformDataSpace = dataSpace
    platformDataLength = dataLength
    reserved = 0
    platformDataOffset = dataOffset
  }

  public static let empty = ParentLocator(code: .none, dataSpace: 0, dataLength: 0, dataOffset: 0)

  public init(decoding b: [UInt8], at o: Int) {
    platformCode = b.be32(o)
    platformDataSpace = b.be32(o + 4)
    platformDataLength = b.be32(o + 8)
    reserved = b.be32(o + 12)
    platformDataOffset = b.be64(o + 16)
  }

  public func encode(into b: inout [UInt8], at o: Int) {
    b.putBE32(platformCode, at: o)
    b.putBE32(platformDataSpace, at: o + 4)
    b.putBE32(platformDataLength, at: o + 8)
    b.putBE32(reserved, at: o + 12)
    b.putBE64(platformDataOffset, at: o + 16)
  }

  public var code: Code? { Code(rawValue: platformCode) }
  public var isEmpty: Bool { platformCode == 0 }

  /// Data space in bytes, read as libvhd does: a value below 512 counts sectors, a multiple of 512
  /// counts bytes, anything else is invalid (nil).
  public var dataSpaceBytes: UInt64? {
    if platformDataSpace < 512 { return UInt64(platformDataSpace) * 512 }
    if platformDataSpace % 512 == 0 { return UInt64(platformDataSpace) }
    return nil
  }

  /// Whether blktap decodes this locator to find a parent.
  public var isResolvable: Bool { code == .macX || code == .w2ku || code == .w2ru }

  // MARK: payloads

  /// The payload blktap writes for `relativePath` (a `./x` or `../x` path from the child's folder).
  public static func payload(for code: Code, relativePath: String) -> [UInt8] {
    switch code {
    case .macX:
      return Array(("file://" + relativePath).utf8)
    case .w2ku, .w2ru:
      var p = relativePath
      if !p.hasPrefix("/") {
        if p.hasPrefix("./") { p.removeFirst(2) }
        p = ".\\" + p
      }
      p = p.replacingAll("/", with: "\\")
      var out: [UInt8] = []
      for unit in p.utf16 {
        out.append(UInt8(truncatingIfNeeded: unit))
        out.append(UInt8(truncatingIfNeeded: unit >> 8))
      }
      return out
    default:
      return []
    }
  }

  /// The path blktap decodes from a payload (nil when it cannot: wrong prefix, non-ASCII, odd
  /// UTF-16 length). MacX strips `file://`; W2* decode UTF-16LE, turn `\` into `/` and drop a
  /// leading drive `c:`.
  public static func decodePath(code: Code, payload: [UInt8]) -> String? {
    switch code {
    case .macX:
      guard let s = String(validating: payload, as: UTF8.self), s.hasPrefix("file://"),
        s.utf8.allSatisfy({ $0 < 0x80 })
      else { return nil }
      return String(s.dropFirst(7))
    case .w2ku, .w2ru:
      guard payload.count % 2 == 0 else { return nil }
      var units: [UInt16] = []
      for i in stride(from: 0, to: payload.count, by: 2) {
        units.append(UInt16(payload[i]) | UInt16(payload[i + 1]) << 8)
      }
      while units.last == 0 { units.removeLast() }
      guard units.allSatisfy({ $0 < 0x80 && $0 != 0 }) else { return nil }
      var s = String(decoding: units, as: UTF16.self).replacingAll("\\", with: "/")
      if s.hasPrefix("c:") || s.hasPrefix("C:") { s.removeFirst(2) }
      return s
    default:
      return nil
    }
  }
}

extension String {
  /// Plain substring replacement without Foundation.
  func replacingAll(_ target: String, with replacement: String) -> String {
    guard !target.isEmpty else { return self }
    var result = ""
    var rest = Substring(self)
    while let r = rest.range(of: target) {
      result += rest[rest.startIndex..<r.lowerBound]
      result += replacement
      rest = rest[r.upperBound...]
    }
    result += rest
    return result
  }
}

extension Substring {
  func range(of target: String) -> Range<Substring.Index>? {
    let t = Array(target.utf8)
    let u = Array(self.utf8)
    guard t.count <= u.count else { return nil }
    var i = 0
    while i + t.count <= u.count {
      if u[i] == t[0] && Array(u[i..<i + t.count]) == t {
        let lo = self.utf8.index(self.startIndex, offsetBy: i)
        let hi = self.utf8.index(lo, offsetBy: t.count)
        return lo..<hi
      }
      i += 1
    }
    return nil
  }
}

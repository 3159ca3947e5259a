// SPDX-License-Identifier: GPL-3.0-or-later

/// Every failure of the engine, as a value: what went wrong (`code`, for programs and tests),
/// which file, which structure field and byte offset (for people). Nothing in the engine traps on
/// bad input, and nothing is written when an open or a check fails.
public struct VHDError: Error, Equatable, Sendable, CustomStringConvertible {
  public enum Code: Equatable, Sendable {
    /// The file ends before a structure it must contain.
    case truncated
    case badCookie
    case badChecksum
    /// A field holds a value the format does not allow.
    case invalidField
    /// Valid but not supported here (e.g. a block size other tools accept but blktap does not).
    case unsupported
    case batEntryPastEnd
    case overlappingBlocks
    case parentLoop
    case missingParent
    case parentUUIDMismatch
    case unknownLocatorCode
    case blockSizeNotPowerOfTwo
    case sizeTooLarge
    /// A guest I/O beyond the virtual disk.
    case outOfRange
    /// A write to an image opened read-only, or a non-leaf.
    case readOnly
    case chainTooDeep
    /// The operation needs a differencing disk (coalesce, reparent) or a particular type.
    case wrongDiskType
    /// A new locator path does not fit the existing slot (vhd-util modify -p: ENAMETOOLONG).
    case locatorTooSmall
    case alreadyExists
    case invalidArgument
    /// `check` found problems (listed in the message).
    case damaged
    case device(DeviceError.Code)
    case storage(StorageError.Code)
  }

  public var code: Code
  public var file: String
  /// The structure and field, e.g. "footer.checksum", "BAT[12]".
  public var field: String?
  public var offset: UInt64?
  public var message: String

  public init(_ code: Code, file: String, field: String? = nil, offset: UInt64? = nil, _ message: String) {
    self.code = code
    self.file = file
    self.field = field
    self.offset = offset
    self.message = message
  }

  public var description: String {
    var s = file
    if let field { s += ": \(field)" }
    if let offset { s += " (offset \(offset))" }
    return s + ": " + message
  }

  /// Wraps a device or storage failure with the file it happened on.
  static func wrap(_ error: any Error, file: String, field: String? = nil) -> VHDError {
    switch error {
    case let e as VHDError: return e
    case let e as DeviceError:
      let code: Code = e.code == .shortRead ? .truncated : .device(e.code)
      return VHDError(code, file: file, field: field, offset: e.offset, e.description)
    case let e as StorageError:
      return VHDError(.storage(e.code), file: file, field: field, e.path == file ? e.reason : e.description)
    default:
      return VHDError(.invalidArgument, file: file, field: field, "\(error)")
    }
  }
}

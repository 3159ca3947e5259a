// SPDX-License-Identifier: GPL-3.0-or-later

/// What a physical I/O is for. The engine tags every device I/O with its kind so the I/O tap can
/// report it and so the metadata-only device knows which bytes it must keep.
public enum IOKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
  case footer, header, bat, bitmap, batmap, locator, data

  public var description: String {
    switch self {
    case .footer: "footer"
    case .header: "header"
    case .bat: "bat"
    case .bitmap: "bitmap"
    case .batmap: "batmap"
    case .locator: "locator"
    case .data: "data"
    }
  }
}

/// Direction of a physical I/O.
public enum IODirection: UInt8, Sendable, CustomStringConvertible {
  case read, write
  public var description: String { self == .read ? "read" : "write" }
}

/// The storage a VHD lives on: a file, an LV, or a model of one. One protocol, several
/// implementations (in-memory, sparse file, metadata-only), like NIO's `Channel` at its boundary.
///
/// Offsets and lengths are bytes. Implementations are single-threaded objects: the engine drives
/// one device from one thread at a time.
public protocol BlockDevice: AnyObject {
  /// Where the device came from, for error messages (a path, or a name for in-memory devices).
  var name: String { get }
  /// Current length in bytes (file size).
  var length: UInt64 { get }
  /// False when opened read-only; writes then throw `DeviceError.Code.readOnly`.
  var isWritable: Bool { get }

  /// Reads exactly `buffer.count` bytes at `offset`. Reading past `length` throws
  /// `DeviceError.Code.shortRead` (the engine validates ranges first; a short read means a
  /// truncated or damaged file).
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, kind: IOKind) throws
  /// Writes `buffer` at `offset`, extending the device when the write ends past `length`.
  func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64, kind: IOKind) throws
  /// Makes `[offset, offset + length)` read as zeros, deallocating storage where the device can
  /// (punch hole, dropped pages); extends the device when the range ends past `length`.
  func writeZeros(at offset: UInt64, length: UInt64, kind: IOKind) throws
  /// Sets the length: shrinking discards, growing adds zeros.
  func truncate(to length: UInt64) throws
  /// Makes completed writes durable (fsync for files; nothing for memory).
  func flush() throws
  /// Byte ranges within `range` that may hold non-zero data, sorted and disjoint. A device that
  /// cannot tell returns `[range]` clamped to its length. Used by export and zero checks to skip holes.
  func dataRegions(in range: Range<UInt64>) throws -> [Range<UInt64>]
  /// Whether `write` may be called from several threads at once (positional writes on a file are;
  /// in-memory structures are not). Bulk writers (export) overlap writes only when true.
  var supportsConcurrentWrites: Bool { get }
  /// Reserves real storage for `[0, length)` so later writes cannot run out of space (a fixed
  /// disk's promise); throws when the device cannot hold it. Devices without a notion of
  /// allocation accept it as is.
  func preallocate(length: UInt64) throws
  /// A hint that the file will rarely change from now on (a snapshot's new parent): a device may
  /// trade the speed of later changes for memory. Changes nothing any call returns.
  func settle()
}

extension BlockDevice {
  public var supportsConcurrentWrites: Bool { false }
  public func preallocate(length: UInt64) throws {}
  public func settle() {}
}

/// A failed device operation, with the device name and offset so the message can say where.
public struct DeviceError: Error, Equatable, Sendable, CustomStringConvertible {
  public enum Code: Equatable, Sendable {
    /// Fewer bytes than asked exist at that offset.
    case shortRead
    /// The device was opened read-only.
    case readOnly
    /// The operating system refused: errno value.
    case system(Int32)
    /// A fault injected by a test device (crash simulation).
    case injectedFault
  }

  public var code: Code
  public var device: String
  public var offset: UInt64
  public var length: UInt64

  public init(_ code: Code, device: String, offset: UInt64 = 0, length: UInt64 = 0) {
    self.code = code
    self.device = device
    self.offset = offset
    self.length = length
  }

  public var description: String {
    let what: String
    switch code {
    case .shortRead: what = "short read (file truncated?)"
    case .readOnly: what = "device is read-only"
    case .system(let e): what = "system error \(e) (\(systemErrorText(e)))"
    case .injectedFault: what = "injected fault"
    }
    return "\(device): \(what) at offset \(offset) length \(length)"
  }
}

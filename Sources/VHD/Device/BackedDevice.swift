// SPDX-License-Identifier: GPL-3.0-or-later

/// The in-memory store of one "file" (`MemoryBacking`, `MetadataBacking`), shared by every device
/// handle opened on it. Callers have validated ranges and writability.
protocol DeviceBacking: AnyObject {
  /// Largest length the store accepts.
  static var maximumLength: UInt64 { get }
  var length: UInt64 { get }
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, kind: IOKind)
  func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64, end: UInt64, kind: IOKind)
  func writeZeros(from offset: UInt64, to end: UInt64)
  func truncate(to length: UInt64)
  func dataRegions(in range: Range<UInt64>) -> [Range<UInt64>]
  /// Modification time stamped by the owning storage's logical clock; nil for standalone devices.
  var fileTime: LogicalFileTime? { get }
  /// What the last open of this file as a VHD parsed (`ParsedImageCache`).
  var parsedImage: ParsedImageCache { get set }
}

/// A device that is a handle on a `DeviceBacking`: the validation and forwarding that
/// `InMemoryDevice` and `MetadataOnlyDevice` share, written once.
protocol BackedDevice: BlockDevice {
  associatedtype Backing: DeviceBacking
  var backing: Backing { get }
}

extension BackedDevice {
  public var length: UInt64 { backing.length }

  /// What an earlier open parsed from this file, when nothing has changed the file since; nil for
  /// a device of no storage.
  var cachedParse: ParsedImage? {
    backing.fileTime.flatMap { backing.parsedImage.image(at: $0.generation) }
  }

  /// Keeps `image`, just parsed from this file, for the next open.
  func cacheParse(_ image: ParsedImage) {
    if let time = backing.fileTime { backing.parsedImage.store(image, at: time.generation) }
  }

  public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    _ = try DeviceSupport.readEnd(offset: offset, count: buffer.count, length: backing.length, device: name)
    backing.read(into: buffer, at: offset, kind: kind)
  }

  public func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    let end = try checkedMutation(offset, UInt64(buffer.count))
    if !buffer.isEmpty { backing.write(buffer, at: offset, end: end, kind: kind) }
  }

  public func writeZeros(at offset: UInt64, length: UInt64, kind: IOKind) throws {
    let end = try checkedMutation(offset, length)
    if length > 0 { backing.writeZeros(from: offset, to: end) }
  }

  public func truncate(to length: UInt64) throws {
    _ = try checkedMutation(length, 0)
    backing.truncate(to: length)
  }

  /// Nothing to make durable in memory.
  public func flush() throws {}

  public func dataRegions(in range: Range<UInt64>) throws -> [Range<UInt64>] {
    backing.dataRegions(in: range)
  }

  /// Validates a mutation of `[offset, offset + count)` (writable handle, addressable range) and
  /// returns its end.
  private func checkedMutation(_ offset: UInt64, _ count: UInt64) throws -> UInt64 {
    try DeviceSupport.checkWritable(isWritable, device: name, offset: offset, length: count)
    return try DeviceSupport.end(of: offset, count: count, device: name, limit: Backing.maximumLength)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// A device that reports each read and write to an observer at a fixed level: how a caller times
/// the I/O of an engine call that opens its images itself (a relink, `VHDReparent`).
///
/// An open through it may still start from the file's kept parse (`ParsedImageCache`): it reports
/// the reads that parse made, in their order, instead of making them again. The parse depends on
/// the file's bytes only, so a fresh parse would have made exactly those reads.
public final class ObservedDevice: BlockDevice {
  public let base: any BlockDevice
  public let observer: any IOObserver
  public let level: Int

  public init(_ base: any BlockDevice, observer: any IOObserver, level: Int) {
    self.base = base
    self.observer = observer
    self.level = level
  }

  public var name: String { base.name }
  public var length: UInt64 { base.length }
  public var isWritable: Bool { base.isWritable }

  public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    observer.observe(
      PhysicalIO(level: level, kind: kind, direction: .read, offset: offset, length: UInt64(buffer.count)))
    try base.read(into: buffer, at: offset, kind: kind)
  }

  public func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    observer.observe(
      PhysicalIO(level: level, kind: kind, direction: .write, offset: offset, length: UInt64(buffer.count)))
    try base.write(buffer, at: offset, kind: kind)
  }

  public func writeZeros(at offset: UInt64, length: UInt64, kind: IOKind) throws {
    observer.observe(
      PhysicalIO(level: level, kind: kind, direction: .write, offset: offset, length: length, zeroing: true))
    try base.writeZeros(at: offset, length: length, kind: kind)
  }

  public func truncate(to length: UInt64) throws { try base.truncate(to: length) }
  public func flush() throws { try base.flush() }
  public func dataRegions(in range: Range<UInt64>) throws -> [Range<UInt64>] {
    try base.dataRegions(in: range)
  }
  public func settle() { base.settle() }

  /// The device whose file keeps parses: the base, when it is an in-memory file.
  var parseKeeper: (any BackedDevice)? { base as? any BackedDevice }

  /// Reports the metadata reads of a kept parse as if they were made now.
  func replay(_ reads: [ParsedImage.Read]) {
    for read in reads {
      observer.observe(
        PhysicalIO(
          level: level, kind: MetadataReader.readKind, direction: .read, offset: read.offset,
          length: read.length))
    }
  }
}

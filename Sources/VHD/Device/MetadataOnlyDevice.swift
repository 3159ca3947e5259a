// SPDX-License-Identifier: GPL-3.0-or-later

/// A device for capacity studies at terabyte scale that keeps only the metadata.
///
/// **Data is not kept.** Reads return zeros where nothing is stored, except that a read of kind
/// `.data` leaves those bytes of the caller's buffer untouched (pass a zeroed buffer to get zeros;
/// the engine's data reads on such a device only count). Writes of kind `.data` record only which 512-byte sectors were
/// written, never their bytes; every other kind (footer, header, BAT, bitmap, BATmap, locator) is
/// kept byte-exact, so the engine can open, grow, snapshot and coalesce a 1 TiB chain at tens of
/// bytes per fully written 2 MiB block (about 1 KiB for a block written in many pieces) instead of
/// 2 MiB. A data write over bytes that held metadata (a footer overwritten by a new block, say)
/// makes those bytes read as zero, as the real file would no longer hold them.
///
/// `writeZeros` behaves like a punched hole whatever its kind: stored metadata in the range reads
/// as zero and sectors wholly inside stop counting as written data. `dataRegions` reports stored
/// metadata sectors and written data sectors together; `writtenDataRanges()` only the data.
/// Handles share one backing per file (`reopen(writable:)`), as `MemoryStorage` needs.
public final class MetadataOnlyDevice: BlockDevice, BackedDevice {
  public let name: String
  public let isWritable: Bool
  let backing: MetadataBacking

  /// A new, empty device of its own.
  public convenience init(name: String, writable: Bool = true) {
    self.init(name: name, backing: MetadataBacking(), writable: writable)
  }

  init(name: String, backing: MetadataBacking, writable: Bool) {
    self.name = name
    self.backing = backing
    self.isWritable = writable
  }

  /// Another handle on the same file.
  public func reopen(writable: Bool) -> MetadataOnlyDevice {
    MetadataOnlyDevice(name: name, backing: backing, writable: writable)
  }

  /// Writes zeros as data over each run of set bits in `mask` (`count` bits, each word's most
  /// significant bit first, as in a VHD sector bitmap), bit `i` standing for the sector at
  /// `offset + 512 × i`: what one `write` of zeros per run does, in one pass (see
  /// `MetadataBacking.writeData(runsOf:count:firstSector:)`). `offset` is a multiple of 512. A
  /// read-only handle or a span past the addressable range throws (for the whole span) before
  /// anything changes.
  func writeZeroData(runsOf mask: UnsafePointer<UInt64>, count: Int, at offset: UInt64) throws {
    try DeviceSupport.checkWritable(isWritable, device: name, offset: offset, length: UInt64(count) << 9)
    _ = try DeviceSupport.end(
      of: offset, count: UInt64(count) << 9, device: name, limit: MetadataBacking.maximumLength)
    backing.writeData(runsOf: mask, count: count, firstSector: offset >> MetadataBacking.sectorShift)
  }

  /// Keeps the file's irregular chunks coded, smaller and slower to change
  /// (`ChunkTable.settle`); a snapshot's new parent is rarely written again.
  public func settle() { backing.settle() }

  /// Bytes of sectors written as data (512-byte granularity), for capacity accounting.
  public var writtenDataBytes: UInt64 { UInt64(backing.dataSectorCount) << MetadataBacking.sectorShift }

  /// Bytes of metadata sectors held in memory.
  public var metadataBytes: UInt64 { backing.metadataBytes }

  /// The sector ranges written as data, sorted, merged and clamped to the length.
  public func writtenDataRanges() -> [Range<UInt64>] { backing.writtenDataRanges() }
}

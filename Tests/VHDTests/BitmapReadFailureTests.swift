// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import VHD

/// A bitmap read that fails must leave the cache as it was: the next consult reads the bitmap again
/// (before the fix it trusted whatever the claimed slot held, and a read returned zeros or another
/// block's bits), and the replacement order is the one a run without the failure has.
@Suite struct BitmapReadFailureTests {
  /// Forwards to `base`; the next `failBitmapReads` bitmap reads throw.
  final class FlakyBitmaps: BlockDevice {
    let base: any BlockDevice
    var failBitmapReads = 0
    init(_ base: any BlockDevice) { self.base = base }
    var name: String { base.name }
    var length: UInt64 { base.length }
    var isWritable: Bool { base.isWritable }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
      if kind == .bitmap && failBitmapReads > 0 {
        failBitmapReads -= 1
        throw DeviceError(.injectedFault, device: name, offset: offset, length: UInt64(buffer.count))
      }
      try base.read(into: buffer, at: offset, kind: kind)
    }
    func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
      try base.write(buffer, at: offset, kind: kind)
    }
    func writeZeros(at offset: UInt64, length: UInt64, kind: IOKind) throws {
      try base.writeZeros(at: offset, length: length, kind: kind)
    }
    func truncate(to length: UInt64) throws { try base.truncate(to: length) }
    func flush() throws { try base.flush() }
    func dataRegions(in range: Range<UInt64>) throws -> [Range<UInt64>] { try base.dataRegions(in: range) }
  }

  @Test func aFailedBitmapReadIsReadAgainNextTime() throws {
    let storage = MemoryStorage()
    let path = "/sr/a.vhd"
    let written = try VHDImage.createDynamic(path, size: 64 << 20, storage: storage)
    // Sectors 8..<16 of block 3 hold 0xA5; the rest of the block was never written.
    let data = [UInt8](repeating: 0xA5, count: 8 * 512)
    var accounting = RequestAccounting()
    let lba = UInt64(3 * written.sectorsPerBlock + 8)
    try data.withUnsafeBytes {
      try written.write(sector: lba, count: 8, from: $0.baseAddress!, accounting: &accounting)
    }
    try written.close()
    let device = FlakyBitmaps(try storage.open(path, writable: false))
    let image = try VHDImage.open(device: device, path: path)
    let chain = try VHDChain(images: [image])
    device.failBitmapReads = 1
    #expect(throws: (any Error).self) { try chain.read(sector: lba, count: 8) }
    // The same read now reads the bitmap (the device is healthy again) and sees the data.
    #expect(try chain.read(sector: lba, count: 8) == data)
    #expect(try chain.read(sector: lba + 8, count: 8) == [UInt8](repeating: 0, count: 8 * 512))
  }

  /// With room for two bitmaps, blocks 1 and 2 cached, a failed read of block 3's bitmap evicts
  /// neither: reading 1 and 2 again hits the cache twice and reads no bitmap.
  @Test func aFailedBitmapReadEvictsNothing() throws {
    let storage = MemoryStorage()
    let path = "/sr/b.vhd"
    let image0 = try VHDImage.createDynamic(path, size: 64 << 20, storage: storage)
    let spb = UInt64(image0.sectorsPerBlock)
    var accounting = RequestAccounting()
    let data = [UInt8](repeating: 0x3C, count: 512)
    for block: UInt64 in [1, 2, 3] {
      try data.withUnsafeBytes {
        try image0.write(sector: block * spb, count: 1, from: $0.baseAddress!, accounting: &accounting)
      }
    }
    try image0.close()
    let device = FlakyBitmaps(try storage.open(path, writable: false))
    let image = try VHDImage.open(device: device, path: path, options: EngineOptions(bitmapCacheCapacity: 2))
    let chain = try VHDChain(images: [image])
    var buffer = [UInt8](repeating: 0, count: 512)
    func read(_ block: UInt64) throws -> LevelWork {
      var a = RequestAccounting()
      try buffer.withUnsafeMutableBytes {
        try chain.read(sector: block * spb, count: 1, into: $0.baseAddress!, accounting: &a)
      }
      return a.levels[0]
    }
    _ = try read(1)
    _ = try read(2)
    device.failBitmapReads = 1
    #expect(throws: (any Error).self) { try read(3) }
    let again = [try read(1), try read(2)]
    #expect(again.map(\.bitmapCacheHits) == [1, 1] && again.map(\.bitmapReads) == [0, 0])
    #expect(buffer == data)
  }
}

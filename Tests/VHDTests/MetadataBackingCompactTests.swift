// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import VHD

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Zeros to pass as the bytes of data writes (the device keeps none of them).
private let dataBytes = [UInt8](repeating: 0, count: 4 << 20)

extension MetadataOnlyDevice {
  /// A data write of `length` bytes at `offset`.
  fileprivate func writeData(at offset: UInt64, length: UInt64) throws {
    try dataBytes.withUnsafeBytes {
      try write(UnsafeRawBufferPointer(rebasing: $0[..<Int(length)]), at: offset, kind: .data)
    }
  }
}

/// The plain model the compact metadata-only state must agree with: stored sectors as byte arrays,
/// data sectors as a set, and the length, following `MetadataOnlyDevice`'s documented rules.
private struct ReferenceFile {
  static let sector = 512
  var stored: [UInt64: [UInt8]] = [:]
  var data: Set<UInt64> = []
  var length = 0

  /// Calls `body(sector, from, to)` with each sector `[offset, end)` touches and the touched bytes
  /// within it.
  private static func forEachSector(_ offset: Int, _ end: Int, _ body: (UInt64, Int, Int) -> Void) {
    var position = offset
    while position < end {
      let start = position / sector * sector
      let to = min(end, start + sector)
      body(UInt64(start / sector), position - start, to - start)
      position = to
    }
  }

  mutating func writeMetadata(_ bytes: [UInt8], at offset: Int) {
    Self.forEachSector(offset, offset + bytes.count) { index, from, to in
      var sectorBytes = stored[index] ?? [UInt8](repeating: 0, count: Self.sector)
      let source = Int(index) * Self.sector + from - offset
      sectorBytes.replaceSubrange(from..<to, with: bytes[source..<source + to - from])
      stored[index] = sectorBytes
      if to - from == Self.sector { data.remove(index) }
    }
    length = max(length, offset + bytes.count)
  }

  mutating func writeData(at offset: Int, count: Int) {
    zeroStored(offset, offset + count)
    Self.forEachSector(offset, offset + count) { index, _, _ in data.insert(index) }
    length = max(length, offset + count)
  }

  mutating func writeZeros(at offset: Int, count: Int) {
    clear(offset, offset + count)
    length = max(length, offset + count)
  }

  mutating func truncate(to size: Int) {
    if size < length { clear(size, (length + Self.sector - 1) / Self.sector * Self.sector) }
    length = size
  }

  private mutating func clear(_ offset: Int, _ end: Int) {
    zeroStored(offset, end)
    Self.forEachSector(offset, end) { index, from, to in
      if to - from == Self.sector { data.remove(index) }
    }
  }

  /// Stored bytes in `[offset, end)` read as zero; wholly covered sectors are forgotten.
  private mutating func zeroStored(_ offset: Int, _ end: Int) {
    Self.forEachSector(offset, end) { index, from, to in
      guard var sectorBytes = stored[index] else { return }
      if to - from == Self.sector {
        stored[index] = nil
      } else {
        sectorBytes.replaceSubrange(from..<to, with: [UInt8](repeating: 0, count: to - from))
        stored[index] = sectorBytes
      }
    }
  }

  /// The file's bytes as a read sees them: stored sectors byte-exact, every other byte
  /// `background` (zero, or for a data read the caller's buffer byte, which the device leaves).
  func contents(background: UInt8 = 0) -> [UInt8] {
    var bytes = [UInt8](repeating: background, count: length)
    for (index, sectorBytes) in stored {
      let start = Int(index) * Self.sector
      guard start < length else { continue }
      let count = min(Self.sector, length - start)
      bytes.replaceSubrange(start..<start + count, with: sectorBytes[0..<count])
    }
    return bytes
  }

  /// Sector runs of `sectors` clamped to `wanted`, merged where they touch.
  func runs(_ sectors: Set<UInt64>, in wanted: Range<Int>) -> [Range<UInt64>] {
    var regions: [Range<UInt64>] = []
    for index in sectors.sorted() {
      let lower = max(wanted.lowerBound, Int(index) * Self.sector)
      let upper = min(wanted.upperBound, Int(index + 1) * Self.sector)
      guard lower < upper else { continue }
      DeviceSupport.appendMerging(UInt64(lower)..<UInt64(upper), to: &regions)
    }
    return regions
  }

  func dataRegions(in range: Range<Int>) -> [Range<UInt64>] {
    let upper = min(range.upperBound, length)
    guard range.lowerBound < upper else { return [] }
    return runs(data.union(stored.keys), in: range.lowerBound..<upper)
  }
}

/// Draws the operations: offsets near VHD-like block boundaries and byte patterns that pack.
private struct Draws {
  var generator: SplitMix64
  let limitSectors: Int

  mutating func below(_ bound: Int) -> Int { Int(generator.next() % UInt64(bound)) }

  /// A byte offset: sector-aligned most of the time.
  mutating func offset() -> Int {
    let sector = below(limitSectors)
    return below(4) == 0 ? sector * 512 + below(512) : sector * 512
  }

  /// All ones, all zeros, ones with one byte off, up to three runs of one bits, or random bytes.
  mutating func bytes(_ count: Int) -> [UInt8] {
    switch below(5) {
    case 0: return [UInt8](repeating: 0xFF, count: count)
    case 1: return [UInt8](repeating: 0, count: count)
    case 2:
      var bytes = [UInt8](repeating: 0xFF, count: count)
      bytes[below(count)] = UInt8(below(255))
      return bytes
    case 3:
      var bytes = [UInt8](repeating: 0, count: count)
      for _ in 0..<1 + below(3) {
        let first = below(count * 8)
        for bit in first..<first + below(count * 8 - first + 1) { bytes[bit >> 3] |= 0x80 >> UInt8(bit & 7) }
      }
      return bytes
    default: return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }
  }
}

/// Checks every observable of `device` against `model`.
private func expectAgreement(_ device: MetadataOnlyDevice, _ model: ReferenceFile, _ step: String) throws {
  try #require(device.length == UInt64(model.length), "\(step): length")
  // A metadata read zero-fills what is not stored; a data read leaves the caller's bytes there.
  for (kind, background) in [(IOKind.bat, UInt8(0)), (IOKind.data, UInt8(0xA5))] {
    var back = [UInt8](repeating: 0xA5, count: model.length)
    try back.withUnsafeMutableBytes { try device.read(into: $0, at: 0, kind: kind) }
    let expected = model.contents(background: background)
    let same = back.withUnsafeBytes { a in
      expected.withUnsafeBytes { b in a.isEmpty ? 0 : memcmp(a.baseAddress!, b.baseAddress!, a.count) }
    }
    try #require(same == 0, "\(step): contents read as \(kind)")
  }
  try #require(device.writtenDataRanges() == model.runs(model.data, in: 0..<model.length), "\(step): data")
  try #require(device.writtenDataBytes == UInt64(model.data.count * 512), "\(step): data bytes")
  try #require(device.metadataBytes == UInt64(model.stored.count * 512), "\(step): metadata bytes")
  try #require(try device.dataRegions(in: 0..<UInt64.max) == model.dataRegions(in: 0..<Int.max), "\(step)")
}

@Suite struct MetadataBackingCompactTests {
  /// First block's bitmap sector, as in a VHD whose BAT ends just before it.
  private static let firstBlock = 7

  /// Writes VHD-style blocks: an all-ones bitmap sector, then 4,096 data sectors.
  private static func writeFullBlocks(_ device: MetadataOnlyDevice, count: Int) throws {
    let ones = [UInt8](repeating: 0xFF, count: 512)
    for block in 0..<count {
      let bitmap = UInt64(firstBlock + block * 4097) * 512
      try ones.withUnsafeBytes { try device.write($0, at: bitmap, kind: .bitmap) }
      try device.writeData(at: bitmap + 512, length: 2 << 20)
    }
  }

  @Test("random operations agree with a reference model", arguments: [21, 22, 23, 24, 25] as [UInt64])
  func randomAgreement(seed: UInt64) throws {
    let device = MetadataOnlyDevice(name: "compact")
    var model = ReferenceFile()
    var draws = Draws(generator: SplitMix64(seed: seed), limitSectors: 3 * 4097 + 20)
    for step in 0..<250 {
      let offset = draws.offset()
      let what: String
      switch draws.below(100) {
      case 0..<20:  // A block: bitmap sector then its data.
        let sector = offset / 512
        let bitmap = draws.bytes(512)
        try bitmap.withUnsafeBytes { try device.write($0, at: UInt64(sector * 512), kind: .bitmap) }
        model.writeMetadata(bitmap, at: sector * 512)
        let sectors = draws.below(2) == 0 ? 4096 : 1 + draws.below(4096)
        try device.writeData(at: UInt64(sector + 1) * 512, length: UInt64(sectors * 512))
        model.writeData(at: (sector + 1) * 512, count: sectors * 512)
        what = "block at sector \(sector) (\(sectors) data sectors)"
      case 20..<45:
        let count = draws.below(3) == 0 ? 1 + draws.below(1_600) : 512 * (1 + draws.below(3))
        let bytes = draws.bytes(count)
        try bytes.withUnsafeBytes { try device.write($0, at: UInt64(offset), kind: .bat) }
        model.writeMetadata(bytes, at: offset)
        what = "metadata \(offset)+\(count)"
      case 45..<70:
        let count = draws.below(3) == 0 ? 1 + draws.below(9_000) : 512 * (1 + draws.below(5_000))
        try device.writeData(at: UInt64(offset), length: UInt64(count))
        model.writeData(at: offset, count: count)
        what = "data \(offset)+\(count)"
      case 70..<90:
        let count = draws.below(2) == 0 ? 1 + draws.below(3_000) : 512 * (1 + draws.below(5_000))
        try device.writeZeros(at: UInt64(offset), length: UInt64(count), kind: .data)
        model.writeZeros(at: offset, count: count)
        what = "zeros \(offset)+\(count)"
      default:
        let size = min(offset, model.length + 4096)
        try device.truncate(to: UInt64(size))
        model.truncate(to: size)
        what = "truncate \(size)"
      }
      try expectAgreement(device, model, "seed \(seed) step \(step) (\(what))")
    }
  }

  @Test("fully written blocks keep no record and no sector bytes")
  func fullBlocksPack() throws {
    let device = MetadataOnlyDevice(name: "base")
    try Self.writeFullBlocks(device, count: 40)
    let footprint = device.backing.footprint
    #expect(footprint.chunks == 41)
    #expect(footprint.records == 0)
    #expect(footprint.sectors == 40)
    #expect(footprint.ownedSectors == 0)
    #expect(device.writtenDataBytes == 40 << 21)
    var bitmap = [UInt8](repeating: 0, count: 512)
    try bitmap.withUnsafeMutableBytes {
      try device.read(into: $0, at: UInt64(Self.firstBlock + 4097) * 512, kind: .bitmap)
    }
    #expect(bitmap == [UInt8](repeating: 0xFF, count: 512))
  }

  @Test("a sector of one or two bit runs keeps no bytes; a third run gives it some, until it goes")
  func copyOnWrite() throws {
    let device = MetadataOnlyDevice(name: "cow")
    try Self.writeFullBlocks(device, count: 2)
    let bitmap = UInt64(Self.firstBlock) * 512
    var expected = [UInt8](repeating: 0xFF, count: 512)
    for (byte, value, owned) in [(100, 0x0F, 0), (300, 0x5A, 1), (300, 0xFF, 0), (100, 0xFF, 0)] {
      try [UInt8(value)].withUnsafeBytes { try device.write($0, at: bitmap + UInt64(byte), kind: .bitmap) }
      expected[byte] = UInt8(value)
      #expect(device.backing.footprint.ownedSectors == owned, "byte \(byte) = \(value)")
      var back = [UInt8](repeating: 0, count: 512)
      try back.withUnsafeMutableBytes { try device.read(into: $0, at: bitmap, kind: .bitmap) }
      #expect(back == expected)
      var middle = [UInt8](repeating: 0, count: 7)
      try middle.withUnsafeMutableBytes { try device.read(into: $0, at: bitmap + 97, kind: .bitmap) }
      #expect(middle == Array(expected[97..<104]))
    }
    #expect(device.metadataBytes == 2 * 512)
    // Half a block written: its bitmap is one run.
    let half = [UInt8](repeating: 0xFF, count: 256) + [UInt8](repeating: 0, count: 256)
    try half.withUnsafeBytes { try device.write($0, at: bitmap, kind: .bitmap) }
    #expect(device.backing.footprint.ownedSectors == 0)
  }

  @Test("a chunk with three data runs keeps a record until it packs again")
  func recordWhenRunsDoNotPack() throws {
    let device = MetadataOnlyDevice(name: "runs")
    for sector in [0, 10, 20] as [UInt64] { try device.writeData(at: sector * 512, length: 512) }
    #expect(device.backing.footprint.records == 1)
    try device.writeData(at: 0, length: 21 * 512)
    #expect(device.backing.footprint.records == 0)
    #expect(device.writtenDataRanges() == [0..<21 * 512])
    try device.writeZeros(at: 0, length: 21 * 512, kind: .data)
    #expect(device.backing.footprint.chunks == 0)
  }

  @Test(
    "a data write over sectors that already hold data still zeroes metadata bytes stored in them",
    arguments: [0, 3] as [UInt64])
  func dataOverDataClearsStoredBytes(extraRuns: UInt64) throws {
    let device = MetadataOnlyDevice(name: "over")
    try device.writeData(at: 0, length: 64 * 512)
    // More data runs make the chunk a record rather than a packed entry.
    for run in 0..<extraRuns { try device.writeData(at: (100 + 10 * run) * 512, length: 512) }
    try [UInt8](repeating: 0x3C, count: 100).withUnsafeBytes {
      try device.write($0, at: 5 * 512 + 7, kind: .bat)
    }
    try device.writeData(at: 4 * 512, length: 2 * 512)
    var back = [UInt8](repeating: 0xEE, count: 512)
    try back.withUnsafeMutableBytes { try device.read(into: $0, at: 5 * 512, kind: .bat) }
    #expect(back.allSatisfy { $0 == 0 }, "stored bytes left: \(back.filter { $0 != 0 }.count)")
    #expect(device.metadataBytes == 0)
  }
}

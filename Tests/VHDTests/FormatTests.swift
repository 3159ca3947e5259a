// SPDX-License-Identifier: GPL-3.0-or-later
import SeededRandom
import Testing

@testable import VHD

/// Known-answer tests for every on-disk structure (docs/vhd-format.md#conventions through
/// docs/vhd-format.md#batmap-presence).
@Suite struct FormatTests {
  @Test func geometryExamplesOfTheSpecAppendix() {
    #expect(DiskGeometry(forSize: 100 << 20).packed == 0x03EB_0C11)
    #expect(DiskGeometry(forSize: 100 << 20) == DiskGeometry(cylinders: 1003, heads: 12, sectorsPerTrack: 17))
    #expect(DiskGeometry(forSize: 1 << 30).packed == 0x0820_103F)
    #expect(DiskGeometry(forSize: 10 << 30).packed == 0x5145_103F)
    #expect(DiskGeometry(forSize: 100 << 30).packed == 0xC8C8_10FF)
    #expect(DiskGeometry(forSize: 200 << 30).packed == 0xFFFF_10FF)
    #expect(DiskGeometry(forSize: 200 << 30).capacity == 136_899_993_600)
  }

  @Test func footerChecksumAndRoundTrip() {
    let f = HardDiskFooter(
      diskType: .dynamic, currentSize: 100 << 20, uniqueID: testStamp(1).uuid, timestamp: 0x2A)
    let bytes = f.encoded()
    #expect(bytes.count == 512)
    #expect(Array(bytes[0..<8]) == Array("conectix".utf8))
    #expect(bytes.be32(8) == 2)
    #expect(bytes.be64(16) == 512)
    #expect(bytes.be32(28) == 0x7461_7000)
    #expect(bytes.be32(32) == 0x0001_0003)
    #expect(bytes.be32(36) == 0)
    // One's complement: sum of all bytes with the field zeroed, inverted.
    var sum: UInt32 = 0
    for (i, b) in bytes.enumerated() where !(64..<68).contains(i) { sum &+= UInt32(b) }
    #expect(bytes.be32(64) == ~sum)
    let decoded = HardDiskFooter(decoding: bytes)
    #expect(decoded == f)
    #expect(decoded.encoded() == bytes)
    #expect(decoded.hasValidChecksum)
    var damaged = decoded
    damaged.currentSize += 512
    #expect(!damaged.hasValidChecksum)
  }

  @Test func legacyHiddenQuirkIsAccepted() {
    var f = HardDiskFooter(
      diskType: .dynamic, currentSize: 8 << 20, uniqueID: testStamp(2).uuid, timestamp: 1)
    f.creatorVersion = 0x0001_0001
    f.updateChecksum()
    f.hidden = 1  // changed without a new checksum, as blktap 1.1 did
    #expect(f.hasValidChecksum)
    f.creatorVersion = 0x0001_0003
    f.updateChecksum()
    f.hidden = 0
    #expect(!f.hasValidChecksum)
  }

  @Test func headerRoundTripAndParentName() {
    var h = DynamicDiskHeader(maxTableEntries: 50)
    let fits = h.setParentName("aaaa.vhd")
    #expect(fits)
    h.parentUniqueID = testStamp(3).uuid
    h.locators[0] = ParentLocator(code: .macX, dataSpace: 512, dataLength: 17, dataOffset: 3072)
    h.updateChecksum()
    let b = h.encoded()
    #expect(b.count == 1024)
    #expect(Array(b[0..<8]) == Array("cxsparse".utf8))
    #expect(b.be64(8) == UInt64.max)
    #expect(b.be64(16) == 1536)
    #expect(b.be32(28) == 50)
    #expect(b.be32(32) == 0x0020_0000)
    #expect(Array(b[64..<72]) == [0, 0x61, 0, 0x61, 0, 0x61, 0, 0x61])  // UTF-16BE
    #expect(b.be32(576) == 0x4D61_6358)
    let d = DynamicDiskHeader(decoding: b)
    #expect(d == h)
    #expect(d.parentName == "aaaa.vhd")
    #expect(d.hasValidChecksum)
    #expect(d.bitmapSectors == 1)
    #expect(d.sectorsPerBlock == 4096)
  }

  @Test func locatorPayloadsAsBlktapWritesThem() {
    let mac = ParentLocator.payload(for: .macX, relativePath: "./aaaa.vhd")
    #expect(mac == Array("file://./aaaa.vhd".utf8))
    #expect(mac.count == 17)
    let w = ParentLocator.payload(for: .w2ku, relativePath: "./aaaa.vhd")
    #expect(w.count == 20)
    #expect(Array(w[0..<4]) == [0x2E, 0, 0x5C, 0])  // ".\" little-endian
    let up = ParentLocator.payload(for: .w2ru, relativePath: "../d/p.vhd")
    #expect(ParentLocator.decodePath(code: .w2ru, payload: up) == "./../d/p.vhd")
    #expect(
      String(decoding: stride(from: 0, to: up.count, by: 2).map { UInt16(up[$0]) }, as: UTF16.self)
        == ".\\..\\d\\p.vhd")
    #expect(ParentLocator.decodePath(code: .macX, payload: mac) == "./aaaa.vhd")
    #expect(ParentLocator.decodePath(code: .macX, payload: Array("http://x".utf8)) == nil)
    let l = ParentLocator(code: .w2ku, dataSpace: 512, dataLength: 20, dataOffset: 3584)
    #expect(l.dataSpaceBytes == 512)
    #expect(ParentLocator(code: .w2ku, dataSpace: 1, dataLength: 20, dataOffset: 0).dataSpaceBytes == 512)
    #expect(ParentLocator(code: .w2ku, dataSpace: 700, dataLength: 20, dataOffset: 0).dataSpaceBytes == nil)
  }

  @Test func relativePaths() {
    #expect(VHDPath.relative(fromDirectory: "/sr", to: "/sr/p.vhd") == "./p.vhd")
    #expect(VHDPath.relative(fromDirectory: "/sr/a", to: "/sr/d/p.vhd") == "../d/p.vhd")
    #expect(VHDPath.relative(fromDirectory: "/x/y", to: "/p.vhd") == "../../p.vhd")
  }

  /// Folder and last component by character: ASCII paths take the byte path, others the cluster
  /// walk, where a "/" followed by a combining mark is not a separator.
  @Test func basenameAndDirectoryByCharacter() {
    #expect(VHDPath.basename("/sr/p.vhd") == "p.vhd" && VHDPath.directory("/sr/p.vhd") == "/sr")
    #expect(VHDPath.basename("p.vhd") == "p.vhd" && VHDPath.directory("p.vhd") == ".")
    #expect(VHDPath.basename("/p.vhd") == "p.vhd" && VHDPath.directory("/p.vhd") == "/")
    #expect(VHDPath.basename("/sr/") == "" && VHDPath.directory("/sr/") == "/sr")
    #expect(VHDPath.basename("/sr/é/p.vhd") == "p.vhd" && VHDPath.directory("/sr/é/p.vhd") == "/sr/é")
    // "/\u{301}" is one character, not a separator.
    #expect(VHDPath.basename("/sr/a/\u{301}b.vhd") == "a/\u{301}b.vhd")
    #expect(VHDPath.directory("/sr/a/\u{301}b.vhd") == "/sr")
  }

  @Test func batmapChecksumLengthAndSignedVariant() {
    #expect(BATMapHeader.checksummedLength(currentSize: 100 << 20) == 512)
    #expect(BATMapHeader.checksummedLength(currentSize: 8 << 30) == 512)
    #expect(BATMapHeader.checksummedLength(currentSize: (8 << 30) + (16 << 20)) == 1024)
    let zeros = [UInt8](repeating: 0, count: 512)
    #expect(zeros.withUnsafeBytes { batmapChecksum($0, signed: false) } == 0xFFFF_FFFF)
    let high: [UInt8] = [0x80, 0x01]
    #expect(high.withUnsafeBytes { batmapChecksum($0, signed: false) } == ~UInt32(0x81))
    #expect(high.withUnsafeBytes { batmapChecksum($0, signed: true) } == ~(UInt32(bitPattern: -128) &+ 1))
  }

  @Test func bitmapBitOrderIsMSBFirst() {
    var b = [UInt8](repeating: 0, count: 16)
    b.withUnsafeMutableBytes { p in
      SectorBitmap.set(p.baseAddress!, 0)
      SectorBitmap.set(p.baseAddress!, 9)
      #expect(SectorBitmap.setRange(p.baseAddress!, 20, 40))
      #expect(!SectorBitmap.setRange(p.baseAddress!, 21, 39))
    }
    #expect(b[0] == 0x80)
    #expect(b[1] == 0x40)
    #expect(b[2] == 0x0F && b[3] == 0xFF && b[4] == 0xFF && b[5] == 0)
    b.withUnsafeBytes { p in
      #expect(SectorBitmap.word(p.baseAddress!, 0) >> 63 == 1)
      #expect(SectorBitmap.allSet(p.baseAddress!, 20, 40))
      #expect(!SectorBitmap.allSet(p.baseAddress!, 19, 40))
      #expect(SectorBitmap.popcount(p.baseAddress!, count: 128) == 22)
    }
  }

  /// `nextSet` and `nextClear` skip 64 bits at a time; they must give what a bit-by-bit scan gives
  /// from every start, below every limit (word edges, the bitmap's last byte), on bitmaps of long
  /// runs, short runs, all ones and all zeros.
  @Test func nextSetAndNextClearAgreeWithABitByBitScan() {
    var rng = SplitMix64(seed: 7)
    for pattern in 0..<6 {
      let bits = 200 + pattern * 37
      var b = [UInt8](repeating: 0, count: (bits + 7) / 8)
      for i in 0..<bits {
        let on: Bool
        switch pattern {
        case 0: on = false
        case 1: on = true
        case 2: on = rng.next() % 2 == 0
        default: on = (i / (pattern * 13)) % 2 == 1 || rng.next() % 97 == 0
        }
        if on { b[i >> 3] |= 0x80 >> UInt8(i & 7) }
      }
      b.withUnsafeBytes { raw in
        let p = raw.baseAddress!
        for hi in [0, 1, 63, 64, 65, 128, bits - 1, bits] {
          for lo in 0...hi {
            var set = lo
            while set < hi && !SectorBitmap.test(p, set) { set += 1 }
            var clear = lo
            while clear < hi && SectorBitmap.test(p, clear) { clear += 1 }
            #expect(SectorBitmap.nextSet(p, from: lo, below: hi) == set, "pattern \(pattern) [\(lo), \(hi))")
            #expect(
              SectorBitmap.nextClear(p, from: lo, below: hi) == clear, "pattern \(pattern) [\(lo), \(hi))")
          }
        }
      }
    }
  }

  @Test func timestampsUseTheVHDEpoch() {
    #expect(VHDTimestamp.fromUnix(946_684_800) == 0)
    #expect(VHDTimestamp.fromUnix(946_684_801 + 3600) == 3601)
    #expect(VHDTimestamp.toUnix(10) == 946_684_810)
  }

  // MARK: layout worked examples (docs/vhd-format.md#blktap-layout)

  @Test func layoutOf100MiBDynamicDisk() throws {
    let s = MemoryStorage()
    let img = try VHDImage.createDynamic("/sr/a.vhd", size: 100 << 20, storage: s, stamp: testStamp(1))
    #expect(img.header!.maxTableEntries == 50)
    #expect(img.device.length == 3584)
    let l = BlktapLayout(maxTableEntries: 50)
    #expect(l.batmapHeaderOffset == 2048)
    #expect(l.batmapOffset == 2560)
    #expect(l.batmapSectors == 1)
    #expect(img.metadataEndSector == 6)
    let bytes = try contents(s, "/sr/a.vhd")
    #expect(Array(bytes[0..<512]) == Array(bytes[3072..<3584]))  // both footer copies
    #expect(bytes.be32(1536) == 0xFFFF_FFFF && bytes.be32(1536 + 49 * 4) == 0xFFFF_FFFF)
    #expect(bytes.be32(1536 + 50 * 4) == 0)  // BAT padding is zero bytes
    #expect(Array(bytes[2048..<2056]) == Array("tdbatmap".utf8))
    #expect(bytes.be64(2056) == 2560 && bytes.be32(2064) == 1 && bytes.be32(2068) == 0x0001_0002)
    #expect(bytes.be32(2072) == 0xFFFF_FFFF)
    // First block gets BAT entry 7: bitmap at 3584, data at 4096.
    let chain = try VHDChain(images: [img])
    try chain.write(sector: 0, bytes: [UInt8](repeating: 0xAB, count: 512))
    #expect(img.blockEntry(0) == 7)
    let after = try contents(s, "/sr/a.vhd")
    #expect(after.be32(1536) == 7)
    #expect(after[3584] == 0x80)
    #expect(after[4096] == 0xAB)
    #expect(after.count == 4096 + 2 * 1024 * 1024 + 512)
    #expect(Array(after[0..<512]) == Array(after[(after.count - 512)...]))
  }

  @Test func layoutOfSnapshotChild() throws {
    let s = MemoryStorage()
    _ = try VHDImage.createDynamic("/sr/aaaa.vhd", size: 100 << 20, storage: s, stamp: testStamp(1))
    let (child, linked) = try VHDSnapshot.create(
      childPath: "/sr/b.vhd", parentPath: "/sr/aaaa.vhd", storage: s, options: .init(skipEmptyParents: false),
      stamp: testStamp(2))
    #expect(linked == "/sr/aaaa.vhd")
    let h = child.header!
    #expect(
      h.locators[0].code == .macX && h.locators[0].platformDataOffset == 3072
        && h.locators[0].platformDataLength == 17)
    #expect(
      h.locators[1].code == .w2ku && h.locators[1].platformDataOffset == 3584
        && h.locators[1].platformDataLength == 20)
    #expect(h.locators[2].code == .w2ru && h.locators[2].platformDataOffset == 4096)
    #expect(h.locators[0].platformDataSpace == 512)
    #expect(h.locators[3].isEmpty)
    #expect(h.parentName == "aaaa.vhd")
    #expect(h.parentUniqueID == testStamp(1).uuid)
    #expect(h.parentTimestamp == VHDTimestamp.fromUnix(s.now))
    #expect(child.metadataEndSector == 9)
    let chain = try VHDChain.open("/sr/b.vhd", storage: s, writable: true)
    try chain.write(sector: 10, bytes: [UInt8](repeating: 1, count: 512))
    #expect(chain.leaf.blockEntry(0) == 15)
    let bytes = try contents(s, "/sr/b.vhd")
    #expect(Array(bytes[3072..<3089]) == Array("file://./aaaa.vhd".utf8))
  }

  @Test func layoutOf10GiBDisk() throws {
    let s = MemoryStorage()
    let img = try VHDImage.createDynamic("/sr/big.vhd", size: 10 << 30, storage: s, stamp: testStamp(1))
    let l = BlktapLayout(maxTableEntries: img.header!.maxTableEntries)
    #expect(l.maxTableEntries == 5120)
    #expect(l.batBytes == 20480)
    #expect(l.batmapHeaderOffset == 22016)
    #expect(l.batmapOffset == 22528)
    #expect(l.batmapSectors == 2)
    try VHDChain(images: [img]).write(sector: 0, bytes: [UInt8](repeating: 1, count: 512))
    #expect(img.blockEntry(0) == 47)
  }

  @Test func fixedDiskLayout() throws {
    let s = MemoryStorage()
    let img = try VHDImage.createFixed("/sr/f.vhd", size: 3 << 20, storage: s, stamp: testStamp(4))
    #expect(img.virtualSize == 4 << 20)  // rounded up to 2 MiB
    #expect(img.device.length == (4 << 20) + 512)
    let bytes = try contents(s, "/sr/f.vhd")
    #expect(bytes.be32((4 << 20) + 60) == 2)
    #expect(bytes.be64((4 << 20) + 16) == UInt64.max)
  }
}

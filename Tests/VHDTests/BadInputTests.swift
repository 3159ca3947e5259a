// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import VHD

/// Damaged files and impossible requests: each gives a typed error naming the file and the field,
/// never a trap, and a failed open writes nothing.
@Suite struct BadInputTests {
  /// A 2-level chain with data, on memory storage.
  func sample() throws -> MemoryStorage {
    let s = MemoryStorage()
    _ = try VHDImage.createDynamic("/sr/p.vhd", size: 16 << 20, storage: s, stamp: testStamp(1))
    let p = try VHDChain.open("/sr/p.vhd", storage: s, writable: true)
    try p.write(sector: 0, bytes: [UInt8](repeating: 1, count: 2 << 20))
    try p.write(sector: 5000, bytes: [UInt8](repeating: 2, count: 4096))
    try p.close()
    try VHDSnapshot.create(
      childPath: "/sr/c.vhd", parentPath: "/sr/p.vhd", storage: s, options: .init(skipEmptyParents: false),
      stamp: testStamp(2))
    let c = try VHDChain.open("/sr/c.vhd", storage: s, writable: true)
    try c.write(sector: 9000, bytes: [UInt8](repeating: 3, count: 4096))
    try c.close()
    return s
  }

  /// Opens read-write and read-only; both must fail with `code` naming `field`, and the file
  /// must be unchanged.
  func expectRefusal(
    _ s: MemoryStorage, _ path: String = "/sr/c.vhd", code: VHDError.Code, field: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let before = try contents(s, path)
    for writable in [true, false] {
      do {
        _ = try VHDChain.open("/sr/c.vhd", storage: s, writable: writable)
        Issue.record("open succeeded (writable: \(writable))", sourceLocation: sourceLocation)
      } catch let e as VHDError {
        #expect(e.code == code, "\(e)", sourceLocation: sourceLocation)
        if let field { #expect(e.field == field, "\(e)", sourceLocation: sourceLocation) }
        #expect(e.description.contains("/sr/"), sourceLocation: sourceLocation)
      }
    }
    #expect(
      firstMismatch(try contents(s, path), before) == nil, "the failed open wrote",
      sourceLocation: sourceLocation)
  }

  @Test func truncatedFile() throws {
    let s = try sample()
    let d = try s.open("/sr/c.vhd", writable: true)
    try d.truncate(to: 1000)
    try expectRefusal(s, code: .truncated)
  }

  @Test func badCookieAndChecksumInBothFooters() throws {
    let s = try sample()
    let len = try s.open("/sr/c.vhd", writable: false).length
    try patch(s, "/sr/c.vhd", at: len - 512, Array("badcooki".utf8))
    try patch(s, "/sr/c.vhd", at: 0, Array("badcooki".utf8))
    try expectRefusal(s, code: .badCookie, field: "footer.cookie")
    let t = try sample()
    try patch(t, "/sr/c.vhd", at: len - 512 + 48, [0x7F])
    try patch(t, "/sr/c.vhd", at: 48, [0x7F])
    try expectRefusal(t, code: .badChecksum, field: "footer.checksum")
  }

  @Test func damagedEndFooterFallsBackToTheCopyAtOffsetZero() throws {
    let s = try sample()
    let len = try s.open("/sr/c.vhd", writable: false).length
    try patch(s, "/sr/c.vhd", at: len - 512, [UInt8](repeating: 0xC7, count: 512))  // tapdisk's strict-mode fill
    let chain = try VHDChain.open("/sr/c.vhd", storage: s)
    #expect(try chain.read(sector: 9000, count: 1)[0] == 3)
  }

  @Test func headerChecksum() throws {
    let s = try sample()
    try patch(s, "/sr/c.vhd", at: 512 + 28, [0, 0, 0, 9])
    try expectRefusal(s, code: .badChecksum, field: "header.checksum")
  }

  /// Rewrites a header field with a valid checksum, so the field check itself is what fires.
  func rewriteHeader(_ s: MemoryStorage, _ change: (inout DynamicDiskHeader) -> Void) throws {
    let bytes = try contents(s, "/sr/c.vhd")
    var h = DynamicDiskHeader(decoding: Array(bytes[512..<1536]))
    change(&h)
    h.updateChecksum()
    try patch(s, "/sr/c.vhd", at: 512, h.encoded())
  }

  @Test func blockSizeNotAPowerOfTwo() throws {
    let s = try sample()
    try rewriteHeader(s) { $0.blockSize = 3 << 20 }
    try expectRefusal(s, code: .blockSizeNotPowerOfTwo, field: "header.block_size")
  }

  @Test func unknownLocatorCode() throws {
    let s = try sample()
    try rewriteHeader(s) { $0.locators[1].platformCode = 0x1234_5678 }
    try expectRefusal(s, code: .unknownLocatorCode, field: "header.parent_locator[1].platform_code")
  }

  @Test func batEntryPastTheEndAndOverlap() throws {
    let s = try sample()
    try patch(s, "/sr/c.vhd", at: 1536 + 4, [0x00, 0x10, 0x00, 0x00])  // block 1 far past EOF
    try expectRefusal(s, code: .batEntryPastEnd, field: "BAT[1]")
    let t = try sample()
    // The parent's block 1 moved onto block 0 (+8 sectors): inside the file, overlapping.
    let entry = try VHDImage.open("/sr/p.vhd", storage: t).blockEntry(0)!
    var e = [UInt8](repeating: 0, count: 4)
    e.putBE32(entry + 8, at: 0)
    try patch(t, "/sr/p.vhd", at: 1536 + 4, e)
    try expectRefusal(t, "/sr/p.vhd", code: .overlappingBlocks, field: "BAT[1]")
  }

  @Test func missingParentAndUUIDMismatchAndLoop() throws {
    let s = try sample()
    try s.rename("/sr/p.vhd", to: "/sr/gone.vhd")
    try expectRefusal(s, code: .missingParent, field: "header.parent_locator")
    let t = try sample()
    try t.remove("/sr/p.vhd")
    _ = try VHDImage.createDynamic("/sr/p.vhd", size: 16 << 20, storage: t, stamp: testStamp(9))
    try expectRefusal(t, code: .parentUUIDMismatch, field: "header.parent_unique_id")
    // A loop: two differencing disks pointing at each other (reparent refuses to make one when asked
    // to, as `vhd modify` does; here it is built on purpose).
    let u = try sample()
    try VHDSnapshot.create(
      childPath: "/sr/d.vhd", parentPath: "/sr/c.vhd", storage: u, options: .init(skipEmptyParents: false),
      stamp: testStamp(3))
    #expect(throws: VHDError.self) {
      try VHDReparent.reparent("/sr/c.vhd", newParent: "/sr/d.vhd", storage: u, refuseLoops: true)
    }
    try VHDReparent.reparent("/sr/c.vhd", newParent: "/sr/d.vhd", storage: u)
    do {
      _ = try VHDChain.open("/sr/d.vhd", storage: u)
      Issue.record("loop opened")
    } catch let e as VHDError {
      #expect(e.code == .parentLoop)
    }
  }

  @Test func sizesOutOfRange() throws {
    let s = MemoryStorage()
    do {
      _ = try VHDImage.createDynamic("/sr/huge.vhd", size: 2041 << 30, storage: s)
      Issue.record("created a 2041 GiB disk")
    } catch let e as VHDError {
      #expect(e.code == .sizeTooLarge)
      #expect(e.file == "/sr/huge.vhd")
    }
    #expect(!s.exists("/sr/huge.vhd"))
    // A footer claiming more than 2040 GiB is refused at open.
    _ = try VHDImage.createDynamic("/sr/x.vhd", size: 8 << 20, storage: s, stamp: testStamp(4))
    var f = try VHDImage.open("/sr/x.vhd", storage: s).footer
    f.currentSize = 2041 << 30
    f.updateChecksum()
    let len = try s.open("/sr/x.vhd", writable: false).length
    try patch(s, "/sr/x.vhd", at: len - 512, f.encoded())
    try patch(s, "/sr/x.vhd", at: 0, f.encoded())
    #expect(throws: VHDError.self) { try VHDImage.open("/sr/x.vhd", storage: s) }
  }

  /// A BATmap whose header is damaged is refused read-write (tap 1.3: a BATmap must be valid) and
  /// ignored read-only; one whose only fault is its checksum is rebuilt by a read-write open and
  /// written back at close (docs/vhd-format.md#crash-safety).
  @Test func badBATMapRefusesOrRebuildsReadWriteButNotReadOnly() throws {
    let s = try sample()
    let layout = BlktapLayout(virtualSize: 16 << 20)
    try patch(s, "/sr/p.vhd", at: layout.batmapHeaderOffset, Array("xdbatmap".utf8))
    do {
      _ = try VHDImage.open("/sr/p.vhd", storage: s, writable: true)
      Issue.record("read-write open of a BATmap with a bad cookie succeeded")
    } catch let e as VHDError {
      #expect(e.field == "batmap.cookie")
    }
    var ro = try VHDImage.open("/sr/p.vhd", storage: s)
    #expect(!ro.hasBATMap)
    #expect(try VHDChain.open("/sr/c.vhd", storage: s).read(sector: 100, count: 1)[0] == 1)
    try patch(s, "/sr/p.vhd", at: layout.batmapHeaderOffset, Array("tdbatmap".utf8))
    try patch(s, "/sr/p.vhd", at: layout.batmapHeaderOffset + 24, [1, 2, 3, 4])
    ro = try VHDImage.open("/sr/p.vhd", storage: s)
    #expect(!ro.hasBATMap)
    let rw = try VHDImage.open("/sr/p.vhd", storage: s, writable: true)
    #expect(rw.hasBATMap)
    try rw.close()
    #expect(VHDCheck.check(path: "/sr/p.vhd", storage: s, options: .init(ignoreTimestamps: true)).isEmpty)
    #expect(try VHDImage.open("/sr/p.vhd", storage: s).hasBATMap)
    #expect(try VHDChain.open("/sr/c.vhd", storage: s).read(sector: 100, count: 1)[0] == 1)
  }

  /// Thousands of random mutations of footer, header, BAT and BATmap bytes: every open, read and
  /// check either works or throws; nothing traps, and read-only opens never write.
  @Test func mutatedMetadataNeverCrashes() throws {
    let pristine = try sample()
    let child = try contents(pristine, "/sr/c.vhd")
    let parent = try contents(pristine, "/sr/p.vhd")
    var rng = TestRNG(77)
    let regions: [Range<Int>] = [
      0..<512, 512..<1536, 1536..<2048, 2048..<3072, 3072..<4608, (child.count - 512)..<child.count,
    ]
    var opened = 0
    var refused = 0
    for _ in 0..<1500 {
      let s = MemoryStorage()
      var bytes = child
      let mutations = 1 + rng.below(4)
      for _ in 0..<mutations {
        let region = regions[rng.below(regions.count)]
        let at = region.lowerBound + rng.below(region.count)
        switch rng.below(3) {
        case 0: bytes[at] ^= UInt8(1 << rng.below(8))
        case 1: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
        default: bytes[at] = [0, 0xFF][rng.below(2)]
        }
      }
      if rng.below(10) == 0 { bytes.removeLast(rng.below(bytes.count)) }
      let cd = try s.create("/sr/c.vhd")
      try bytes.withUnsafeBytes { try cd.write($0, at: 0, kind: .data) }
      let pd = try s.create("/sr/p.vhd")
      try parent.withUnsafeBytes { try pd.write($0, at: 0, kind: .data) }
      do {
        let chain = try VHDChain.open("/sr/c.vhd", storage: s)
        _ = try? chain.read(sector: 0, count: 64)
        _ = try? chain.read(sector: 9000, count: 8)
        opened += 1
      } catch is VHDError {
        refused += 1
      }
      _ = VHDCheck.check(path: "/sr/c.vhd", storage: s)
      #expect(firstMismatch(try contents(s, "/sr/c.vhd"), bytes) == nil)
    }
    #expect(opened + refused == 1500)
    #expect(refused > 300)
  }
}

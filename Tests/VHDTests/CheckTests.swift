// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import VHD

/// A fixed "now" shortly after the images' creation time.
private let now = TestImages.unixTime + 100

private func options(
  ignorePrimaryFooter: Bool = false, ignoreParentUUID: Bool = false, ignoreTimestamps: Bool = false,
  checkParents: Bool = false, checkZeroData: Bool = false, skipOverlapTest: Bool = false
) -> CheckOptions {
  CheckOptions(
    ignorePrimaryFooter: ignorePrimaryFooter, ignoreParentUUID: ignoreParentUUID,
    ignoreTimestamps: ignoreTimestamps, checkParents: checkParents, checkZeroData: checkZeroData,
    skipOverlapTest: skipOverlapTest, now: now)
}

/// The fields of the problems `check` reports for `path`.
private func fields(_ path: String, _ storage: any Storage, _ options: CheckOptions = options()) -> [String] {
  VHDCheck.check(path: path, storage: storage, options: options).map(\.field)
}

/// A folder with a dynamic parent `/sr/p.vhd` (two full blocks) and its differencing child
/// `/sr/c.vhd` (one partly written block).
private func family() throws -> MemoryStorage {
  let storage = TestImages.storage()
  let parent = TestImages.build(uuid: TestImages.uuid(1), blocks: [.init(index: 0), .init(index: 2)])
  try TestImages.store(parent.bytes, at: "/sr/p.vhd", in: storage)
  let child = TestImages.build(
    uuid: TestImages.uuid(2), parent: .init(name: "p.vhd", uuid: TestImages.uuid(1)),
    blocks: [.init(index: 1, sectors: 8)])
  try TestImages.store(child.bytes, at: "/sr/c.vhd", in: storage)
  return storage
}

private let parentPath = "/sr/p.vhd"
private let childPath = "/sr/c.vhd"

@Suite struct CheckTests {
  // MARK: well-formed images

  @Test func wellFormedImagesHaveNoProblems() throws {
    let storage = try family()
    #expect(VHDCheck.check(path: parentPath, storage: storage, options: options()) == [])
    #expect(VHDCheck.check(path: childPath, storage: storage, options: options()) == [])
    #expect(VHDCheck.check(path: childPath, storage: storage, options: options(checkZeroData: true)) == [])
    #expect(VHDCheck.checkChain(path: childPath, storage: storage, options: options()) == [])
  }

  @Test func emptyAndLargerImagesHaveNoProblems() throws {
    let storage = TestImages.storage()
    try TestImages.store(TestImages.build(uuid: TestImages.uuid(3)).bytes, at: "/e.vhd", in: storage)
    let big = TestImages.build(
      size: 100 * TestImages.mib, uuid: TestImages.uuid(4), blocks: [.init(index: 49)])
    try TestImages.store(big.bytes, at: "/big.vhd", in: storage)
    try TestImages.store(TestImages.buildFixed(uuid: TestImages.uuid(5)), at: "/fixed.vhd", in: storage)
    #expect(fields("/e.vhd", storage) == [])
    #expect(fields("/big.vhd", storage) == [])
    #expect(fields("/fixed.vhd", storage) == [])
  }

  @Test func legacyShortFooterIsAccepted() throws {
    let storage = try family()
    try TestImages.edit(parentPath, in: storage) { $0.removeLast() }
    #expect(fields(parentPath, storage) == [])
  }

  @Test func missingFileIsOneProblem() throws {
    let problems = VHDCheck.check(path: "/nowhere.vhd", storage: TestImages.storage(), options: options())
    #expect(problems.map(\.field) == ["file"])
    #expect(problems.first?.file == "/nowhere.vhd")
  }

  @Test func fileSizeMustBeSectorMultipleOrLegacy() throws {
    let storage = try family()
    try TestImages.edit(parentPath, in: storage) { $0 += [0, 0, 0] }
    #expect(fields(parentPath, storage).contains("file.size"))
  }

  // MARK: footer

  @Test func footerCookieAndChecksum() throws {
    let storage = try family()
    try TestImages.editFooters(parentPath, in: storage, copy: false) { $0.cookie = Array("notafoot".utf8) }
    #expect(fields(parentPath, storage) == ["footer.cookie"])
    #expect(fields(parentPath, storage, options(ignorePrimaryFooter: true)) == [])

    let other = try family()
    try TestImages.editFooters(parentPath, in: other, copy: false, checksum: false) { $0.checksum ^= 1 }
    #expect(fields(parentPath, other) == ["footer.checksum"])
    #expect(fields(parentPath, other, options(ignorePrimaryFooter: true)) == [])
  }

  @Test func footerOffsetIsAbsolute() throws {
    let storage = try family()
    let size = UInt64(try TestImages.load(parentPath, from: storage).count)
    try TestImages.editFooters(parentPath, in: storage, copy: false, checksum: false) { $0.checksum ^= 1 }
    let problem = try #require(VHDCheck.check(path: parentPath, storage: storage, options: options()).first)
    #expect(problem.offset == size - 512 + 64)
    #expect(problem.file == parentPath)
  }

  @Test func tapdiskFillNeedsIgnoreFooter() throws {
    let storage = try family()
    try TestImages.edit(parentPath, in: storage) { b in
      b.replaceSubrange(b.count - 512..<b.count, with: [UInt8](repeating: 0xC7, count: 512))
    }
    #expect(fields(parentPath, storage) == ["footer"])
    #expect(fields(parentPath, storage, options(ignorePrimaryFooter: true)) == [])
  }

  @Test func blockOverFooterToleratedWithIgnoreFooter() throws {
    // tapdisk appended block 2 over the old footer and has not closed the image yet.
    let storage = try family()
    try TestImages.edit(parentPath, in: storage) { $0.removeLast(512) }
    #expect(Set(fields(parentPath, storage)) == ["footer.cookie", "BAT[2]"])
    #expect(fields(parentPath, storage, options(ignorePrimaryFooter: true)) == [])
  }

  @Test(arguments: [
    ("features", "footer.features"),
    ("extra features", "footer.features"),
    ("version", "footer.file_format_version"),
    ("timestamp", "footer.timestamp"),
    ("creator version", "footer.creator_version"),
    ("geometry", "footer.disk_geometry"),
    ("saved", "footer.saved_state"),
    ("hidden", "footer.hidden"),
    ("reserved", "footer.reserved"),
    ("uuid", "footer.unique_id"),
  ])
  func footerFieldRules(mutation: String, field: String) throws {
    let storage = try family()
    try TestImages.editFooters(parentPath, in: storage) { f in
      switch mutation {
      case "features": f.features = 0
      case "extra features": f.features = 2 | 0x100
      case "version": f.formatVersion = 0x0002_0000
      case "timestamp": f.timestamp = VHDTimestamp.fromUnix(now + 1801)
      case "creator version": f.creatorVersion = 0x0001_0004
      case "geometry": f.geometry = DiskGeometry(forSize: 16 * TestImages.mib)
      case "saved": f.savedState = 2
      case "hidden": f.hidden = 2
      case "reserved": f.reserved[100] = 1
      case "uuid": f.uniqueID = .null
      default: Issue.record("unknown mutation \(mutation)")
      }
    }
    #expect(fields(parentPath, storage) == [field])
  }

  @Test func timestampSlackAndIgnoreTimestamps() throws {
    let storage = try family()
    try TestImages.editFooters(parentPath, in: storage) { $0.timestamp = VHDTimestamp.fromUnix(now + 1800) }
    #expect(fields(parentPath, storage) == [])
    try TestImages.editFooters(parentPath, in: storage) { $0.timestamp = VHDTimestamp.fromUnix(now + 5000) }
    #expect(fields(parentPath, storage) == ["footer.timestamp"])
    #expect(fields(parentPath, storage, options(ignoreTimestamps: true)) == [])
  }

  @Test func unknownDiskType() throws {
    let storage = try family()
    try TestImages.editFooters(parentPath, in: storage) { $0.diskType = .other(7) }
    let found = fields(parentPath, storage)
    #expect(found.contains("footer.disk_type"))
    // A non-dynamic type must also have all-ones data offset (blktap reports that first).
    #expect(Set(found) == ["footer.disk_type", "footer.data_offset"])
  }

  @Test func fixedDiskDataOffset() throws {
    let storage = TestImages.storage()
    try TestImages.store(TestImages.buildFixed(uuid: TestImages.uuid(6)), at: "/f.vhd", in: storage)
    try TestImages.editFooters("/f.vhd", in: storage, copy: false) { $0.dataOffset = 512 }
    #expect(fields("/f.vhd", storage) == ["footer.data_offset"])
  }

  @Test func footerCopyMustMatch() throws {
    let storage = try family()
    try TestImages.editFooters(parentPath, in: storage, primary: false) { $0.hidden = 1 }
    #expect(fields(parentPath, storage) == ["footer_copy"])
    // With -i the copy at 0 wins.
    #expect(fields(parentPath, storage, options(ignorePrimaryFooter: true)) == [])

    let damaged = try family()
    try TestImages.editFooters(parentPath, in: damaged, primary: false, checksum: false) { $0.checksum ^= 1 }
    #expect(Set(fields(parentPath, damaged)) == ["footer_copy.checksum", "footer_copy"])
  }

  @Test func legacyHiddenQuirkTolerated() throws {
    let storage = try family()
    try TestImages.editFooters(parentPath, in: storage) { $0.creatorVersion = 0x0001_0001 }
    #expect(fields(parentPath, storage) == [])
    // tap 1.1 set hidden in the copy at 0 without updating its checksum.
    try TestImages.editFooters(parentPath, in: storage, primary: false, checksum: false) { $0.hidden = 1 }
    #expect(fields(parentPath, storage) == [])
    // For tap 1.3 the same is a damaged copy.
    try TestImages.editFooters(parentPath, in: storage, primary: false, checksum: false) {
      $0.creatorVersion = 0x0001_0003
    }
    #expect(fields(parentPath, storage).contains("footer_copy"))
  }

  // MARK: header

  @Test(arguments: [
    ("cookie", "header.cookie"),
    ("version", "header.header_version"),
    ("data offset", "header.data_offset"),
    ("table offset zero", "header.table_offset"),
    ("table offset unaligned", "header.table_offset"),
    ("table past end", "header.table_offset"),
    ("block size", "header.block_size"),
    ("reserved1", "header.reserved1"),
    ("reserved2", "header.reserved2"),
    ("max entries", "header.max_table_entries"),
    ("parent uuid", "header.parent_unique_id"),
    ("parent timestamp", "header.parent_timestamp"),
    ("parent name", "header.parent_unicode_name"),
    ("locators", "header.parent_locators"),
  ])
  func headerFieldRules(mutation: String, field: String) throws {
    let storage = try family()
    try TestImages.editHeader(parentPath, in: storage) { h in
      switch mutation {
      case "cookie": h.cookie = Array("cxspars3".utf8)
      case "version": h.headerVersion = 0x0001_0001
      case "data offset": h.dataOffset = 0
      case "table offset zero": h.tableOffset = 0
      case "table offset unaligned": h.tableOffset = 1537
      case "table past end": h.tableOffset = 1 << 40
      case "block size": h.blockSize = 3 << 20
      case "reserved1": h.reserved1 = 5
      case "reserved2": h.reserved2[7] = 1
      case "max entries": h.maxTableEntries = 3
      case "parent uuid": h.parentUniqueID = TestImages.uuid(9)
      case "parent timestamp": h.parentTimestamp = 1
      case "parent name": h.setParentName("x.vhd")
      case "locators":
        h.locators[5] = ParentLocator(code: .macX, dataSpace: 512, dataLength: 3, dataOffset: 3072)
      default: Issue.record("unknown mutation \(mutation)")
      }
    }
    #expect(fields(parentPath, storage) == [field])
  }

  @Test func headerChecksum() throws {
    let storage = try family()
    try TestImages.editHeader(parentPath, in: storage, checksum: false) { $0.checksum &+= 1 }
    let problems = VHDCheck.check(path: parentPath, storage: storage, options: options())
    #expect(problems.map(\.field) == ["header.checksum"])
    #expect(problems.first?.offset == 512 + 36)
  }

  @Test func differencingParentFields() throws {
    let storage = try family()
    try TestImages.editHeader(childPath, in: storage) {
      $0.parentTimestamp = VHDTimestamp.fromUnix(now + 4000)
    }
    #expect(fields(childPath, storage) == ["header.parent_timestamp"])
    #expect(fields(childPath, storage, options(ignoreTimestamps: true)) == [])

    let other = try family()
    try TestImages.editHeader(childPath, in: other) { h in
      h.parentUnicodeName[0] = 0x00
      h.parentUnicodeName[1] = 0xE9  // "é": not ASCII, blktap cannot decode it
    }
    #expect(fields(childPath, other).contains("header.parent_unicode_name"))

    // Garbage after the NUL that ends "p.vhd" (5 UTF-16 units, NUL at bytes 10-11).
    let trailing = try family()
    try TestImages.editHeader(childPath, in: trailing) { h in h.parentUnicodeName[40] = 0x41 }
    #expect(fields(childPath, trailing) == ["header.parent_unicode_name"])
  }

  /// A fixed disk claiming 2040 GiB or more: every command refuses to open it, and check reports it.
  @Test func fixedDiskOverTheSizeLimit() throws {
    let storage = TestImages.storage()
    try TestImages.store(TestImages.buildFixed(uuid: TestImages.uuid(6)), at: "/f.vhd", in: storage)
    try TestImages.editFooters("/f.vhd", in: storage, copy: false) { $0.currentSize = 2 << 40 }
    #expect(fields("/f.vhd", storage).contains("footer.current_size"))
  }

  // MARK: BAT

  @Test func batEntryPastEnd() throws {
    let storage = try family()
    try TestImages.setBAT(parentPath, in: storage, index: 1, to: 1_000_000)
    let problems = VHDCheck.check(path: parentPath, storage: storage, options: options())
    #expect(problems.map(\.field) == ["BAT[1]"])
    #expect(problems.first?.offset == 1536 + 4)
  }

  @Test func batEntryIntoMetadata() throws {
    let storage = try family()
    try TestImages.setBAT(parentPath, in: storage, index: 0, to: 5)
    #expect(fields(parentPath, storage) == ["BAT[0]"])
  }

  @Test func overlappingBlocks() throws {
    let storage = try family()
    let parent = TestImages.build(uuid: TestImages.uuid(1), blocks: [.init(index: 0), .init(index: 2)])
    let first = try #require(parent.entries[0])
    // Block 3 starts one sector into block 0 (and ends before block 2).
    try TestImages.setBAT(parentPath, in: storage, index: 3, to: first + 1)
    #expect(fields(parentPath, storage) == ["BAT[3]"])
    #expect(fields(parentPath, storage, options(skipOverlapTest: true)) == [])
    // Two entries naming the same block.
    try TestImages.setBAT(parentPath, in: storage, index: 3, to: first)
    #expect(fields(parentPath, storage) == ["BAT[3]"])
  }

  @Test func overlapCheckIsNotQuadratic() throws {
    // 2 GiB disk, 1024 BAT entries all pointing at the same block: every one is reported.
    let storage = TestImages.storage()
    let built = TestImages.build(
      size: 2048 * TestImages.mib, uuid: TestImages.uuid(7), blocks: [.init(index: 0)])
    try TestImages.store(built.bytes, at: "/x.vhd", in: storage)
    let entry = try #require(built.entries[0])
    try TestImages.edit("/x.vhd", in: storage) { b in
      for i in 1..<1024 { b.putBE32(entry, at: 1536 + 4 * i) }
    }
    let found = fields("/x.vhd", storage)
    #expect(found.count == 1023)
    #expect(Set(found).count == 1023)
  }

  // MARK: BATmap

  @Test func batmapRules() throws {
    let storage = try family()
    try TestImages.editBATMap(parentPath, in: storage, checksum: false) { h, _ in h.checksum &+= 1 }
    #expect(fields(parentPath, storage) == ["batmap.checksum"])

    let cookie = try family()
    try TestImages.editBATMap(parentPath, in: cookie) { h, _ in h.cookie = Array("tdbatmaq".utf8) }
    #expect(fields(parentPath, cookie) == ["batmap.cookie"])

    let version = try family()
    try TestImages.editBATMap(parentPath, in: version) { h, _ in h.batmapVersion = 0x0001_0003 }
    #expect(fields(parentPath, version) == ["batmap.version"])

    let size = try family()
    try TestImages.editBATMap(parentPath, in: size) { h, _ in h.batmapSize = 0 }
    #expect(fields(parentPath, size) == ["batmap.size"])

    let offset = try family()
    try TestImages.editBATMap(parentPath, in: offset) { h, _ in h.batmapOffset += 1 }
    #expect(fields(parentPath, offset).contains("batmap.offset"))
  }

  @Test func batmapFullBitOfUnallocatedBlock() throws {
    let storage = try family()
    try TestImages.editBATMap(parentPath, in: storage) { _, map in map[0] |= 0x80 >> 3 }
    let problems = VHDCheck.check(path: parentPath, storage: storage, options: options())
    #expect(problems.map(\.field) == ["batmap[3]"])
    #expect(problems.first?.message == "batmap shows unallocated block 3 full")
  }

  @Test func signedBatmapChecksumOfVersion11() throws {
    let storage = try family()
    // Version 1.1 sums sign-extended bytes: a map byte ≥ 0x80 makes the two sums differ.
    try TestImages.editBATMap(parentPath, in: storage) { h, _ in h.batmapVersion = 0x0001_0001 }
    #expect(fields(parentPath, storage) == [])
    try TestImages.editBATMap(parentPath, in: storage, checksum: false) { h, map in
      h.checksum = TestImages.batmapChecksumOf(map, currentSize: 8 * TestImages.mib, signed: false)
    }
    #expect(fields(parentPath, storage) == ["batmap.checksum"])
  }

  // MARK: locators and parent

  @Test func unknownAndDuplicateLocatorCodes() throws {
    let storage = try family()
    try TestImages.editHeader(childPath, in: storage) { h in
      h.locators[4] = h.locators[0]
      h.locators[4].platformCode = 0x1234_5678
    }
    #expect(fields(childPath, storage) == ["locator[4].code"])

    let duplicate = try family()
    try TestImages.editHeader(childPath, in: duplicate) {
      $0.locators[2].platformCode = ParentLocator.Code.w2ku.rawValue
    }
    #expect(fields(childPath, duplicate) == ["locator[2].code"])
  }

  @Test func locatorRegionRules() throws {
    let storage = try family()
    try TestImages.editHeader(childPath, in: storage) { $0.locators[0].platformDataOffset = 1 << 30 }
    let problems = VHDCheck.check(path: childPath, storage: storage, options: options())
    #expect(problems.map(\.field) == ["locator[0].data_offset"])
    #expect(problems.first?.offset == 512 + 576 + 16)

    let space = try family()
    try TestImages.editHeader(childPath, in: space) { $0.locators[1].platformDataSpace = 513 }
    #expect(fields(childPath, space) == ["locator[1].data_space"])

    let length = try family()
    try TestImages.editHeader(childPath, in: length) { $0.locators[2].platformDataLength = 0 }
    #expect(fields(childPath, length) == ["locator[2].data_length"])

    let none = try family()
    try TestImages.editHeader(childPath, in: none) { $0.locators[6].platformDataOffset = 512 }
    #expect(fields(childPath, none) == ["locator[6]"])
  }

  @Test func locatorBasenameMustMatchHeaderName() throws {
    let storage = try family()
    let child = TestImages.build(
      uuid: TestImages.uuid(2), parent: .init(name: "p.vhd", uuid: TestImages.uuid(1)),
      blocks: [.init(index: 1, sectors: 8)])
    let at = Int(child.locatorOffsets[0])
    try TestImages.edit(childPath, in: storage) { b in
      b.replaceSubrange(at..<at + 17, with: Array("file://./q.vhd".utf8) + [0, 0, 0])
    }
    // Only the MacX slot names another file.
    try TestImages.editHeader(childPath, in: storage) { $0.locators[0].platformDataLength = 14 }
    let problems = VHDCheck.check(path: childPath, storage: storage, options: options())
    #expect(problems.map(\.field) == ["locator[0].data"])
    #expect(problems.first?.message == "locator name (q.vhd) does not match header name (p.vhd)")
  }

  @Test func missingParent() throws {
    let storage = try family()
    try storage.remove(parentPath)
    let found = fields(childPath, storage)
    #expect(found.contains("parent"))
    #expect(Set(found) == ["locator[0].data", "locator[1].data", "locator[2].data", "parent"])
  }

  @Test func parentUUIDMismatch() throws {
    let storage = try family()
    try TestImages.editFooters(parentPath, in: storage) { $0.uniqueID = TestImages.uuid(42) }
    let problems = VHDCheck.check(path: childPath, storage: storage, options: options())
    #expect(problems.map(\.field) == ["header.parent_unique_id"])
    #expect(problems.first?.offset == 512 + 40)
    #expect(fields(childPath, storage, options(ignoreParentUUID: true)) == [])
  }

  @Test func rawParentSkipsUUIDCheck() throws {
    let storage = TestImages.storage()
    try TestImages.store([UInt8](repeating: 0, count: 8 << 20), at: "/sr/base.raw", in: storage)
    let child = TestImages.build(uuid: TestImages.uuid(2), parent: .init(name: "base.raw", uuid: .null))
    try TestImages.store(child.bytes, at: "/sr/c.vhd", in: storage)
    #expect(fields("/sr/c.vhd", storage) == [])
    #expect(fields("/sr/c.vhd", storage, options(checkParents: true)) == [])
  }

  @Test func parentInAnotherFolder() throws {
    let storage = TestImages.storage()
    let parent = TestImages.build(uuid: TestImages.uuid(1))
    try TestImages.store(parent.bytes, at: "/sr/base/p.vhd", in: storage)
    let child = TestImages.build(
      uuid: TestImages.uuid(2),
      parent: .init(name: "p.vhd", uuid: TestImages.uuid(1), relativePath: "../base/p.vhd"))
    try TestImages.store(child.bytes, at: "/sr/leaves/c.vhd", in: storage)
    #expect(fields("/sr/leaves/c.vhd", storage, options(checkParents: true)) == [])
  }

  // MARK: data and chains

  @Test func dataWhereBitmapIsClear() throws {
    let storage = try family()
    let child = TestImages.build(
      uuid: TestImages.uuid(2), parent: .init(name: "p.vhd", uuid: TestImages.uuid(1)),
      blocks: [.init(index: 1, sectors: 8)])
    let entry = try #require(child.entries[1])
    let sector100 = Int(entry + 1 + 100) * 512
    try TestImages.edit(childPath, in: storage) { $0[sector100 + 7] = 0x55 }
    #expect(fields(childPath, storage) == [])
    let problems = VHDCheck.check(path: childPath, storage: storage, options: options(checkZeroData: true))
    #expect(problems.map(\.field) == ["block[1]"])
    #expect(problems.first?.offset == UInt64(sector100))
    #expect(
      problems.first?.message == "block 1 has data where bitmap is clear (first at sector 100 of the block)")
  }

  @Test func fullBlocksSkipTheZeroDataTest() throws {
    // Block 0 of the parent is full per the BATmap; a cleared bitmap bit is not looked at.
    let storage = try family()
    let parent = TestImages.build(uuid: TestImages.uuid(1), blocks: [.init(index: 0), .init(index: 2)])
    let entry = try #require(parent.entries[0])
    try TestImages.edit(parentPath, in: storage) { $0[Int(entry) * 512] = 0x7F }
    #expect(fields(parentPath, storage, options(checkZeroData: true)) == [])
  }

  @Test func chainCheckFollowsParents() throws {
    let storage = try family()
    let leaf = TestImages.build(
      uuid: TestImages.uuid(3), parent: .init(name: "c.vhd", uuid: TestImages.uuid(2)))
    try TestImages.store(leaf.bytes, at: "/sr/leaf.vhd", in: storage)
    #expect(fields("/sr/leaf.vhd", storage, options(checkParents: true)) == [])
    // Damage the base: the problem names the base.
    try TestImages.editHeader(parentPath, in: storage) { $0.reserved1 = 1 }
    #expect(fields("/sr/leaf.vhd", storage) == [])
    let problems = VHDCheck.checkChain(path: "/sr/leaf.vhd", storage: storage, options: options())
    #expect(problems.map(\.field) == ["header.reserved1"])
    #expect(problems.first?.file == parentPath)
  }

  @Test func parentLoop() throws {
    let storage = TestImages.storage()
    let a = TestImages.build(uuid: TestImages.uuid(1), parent: .init(name: "b.vhd", uuid: TestImages.uuid(2)))
    let b = TestImages.build(uuid: TestImages.uuid(2), parent: .init(name: "a.vhd", uuid: TestImages.uuid(1)))
    try TestImages.store(a.bytes, at: "/sr/a.vhd", in: storage)
    try TestImages.store(b.bytes, at: "/sr/b.vhd", in: storage)
    #expect(fields("/sr/a.vhd", storage) == [])
    let problems = VHDCheck.check(path: "/sr/a.vhd", storage: storage, options: options(checkParents: true))
    #expect(problems.map(\.field) == ["parent"])
    #expect(problems.first?.file == "/sr/b.vhd")
  }

  // MARK: several problems, robustness

  @Test func threeIndependentDefectsAreAllReported() throws {
    let storage = try family()
    try TestImages.editHeader(parentPath, in: storage) { $0.reserved1 = 1 }
    try TestImages.setBAT(parentPath, in: storage, index: 3, to: 9_999_999)
    try TestImages.editBATMap(parentPath, in: storage, checksum: false) { h, _ in h.checksum = 0 }
    #expect(Set(fields(parentPath, storage)) == ["header.reserved1", "BAT[3]", "batmap.checksum"])
    #expect(fields(parentPath, storage).count == 3)
  }

  @Test func damagedFilesNeverTrap() throws {
    var rng = TestRNG(0xC4EC)
    let storage = try family()
    let pristine = try TestImages.load(childPath, from: storage)
    for round in 0..<200 {
      var b = pristine
      // Scribble over metadata (first 5 KiB and the footer), sometimes truncate.
      for _ in 0..<(1 + rng.below(12)) {
        let region = rng.below(3)
        let at = region == 0 ? rng.below(5120) : b.count - 1 - rng.below(512)
        b[at] = UInt8(truncatingIfNeeded: rng.next())
      }
      if round % 7 == 0 { b.removeLast(rng.below(4096)) }
      try TestImages.store(b, at: "/sr/fuzz.vhd", in: storage)
      let problems = VHDCheck.check(
        path: "/sr/fuzz.vhd", storage: storage,
        options: options(checkParents: true, checkZeroData: round % 5 == 0))
      for p in problems { #expect(!p.field.isEmpty) }
    }
    // Pure noise and tiny files.
    for size in [0, 1, 511, 512, 1024, 4096] {
      try TestImages.store(rng.bytes(size), at: "/sr/noise.vhd", in: storage)
      #expect(!fields("/sr/noise.vhd", storage).isEmpty)
    }
  }

  @Test func problemDescription() {
    let p = CheckProblem(file: "/a.vhd", field: "BAT[3]", offset: 1548, message: "boom")
    #expect(p.description == "/a.vhd: BAT[3] (offset 1548): boom")
  }
}

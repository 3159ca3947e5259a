// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Testing

@testable import VHD

/// Growing the virtual size (`vhd-util resize`, docs/vhd-format.md#growing-the-virtual-size):
/// byte-identical reads, a file `check`, qemu-img and libvhdi accept, and every crash point of the
/// journaled grow reverted to the original bytes.
@Suite struct ResizeTests {
  static let mib: UInt64 = 1 << 20

  /// A 32 MiB dynamic image whose first block sits right after the metadata (so growing the BAT
  /// must move it) and 5 more blocks written; returns the oracle of its 32 MiB.
  func filledDynamic(_ path: String, storage: any Storage) throws -> FlatOracle {
    let image = try VHDImage.createDynamic(path, size: 32 * Self.mib, storage: storage, stamp: testStamp(4))
    let chain = try VHDChain(images: [image])
    var oracle = FlatOracle(size: Int(32 * Self.mib))
    var rng = TestRNG(41)
    for block in [0, 3, 7, 8, 15, 11] {
      let data = rng.bytes(300 * 512)
      let sector = block * 4096 + rng.below(3000)
      try chain.write(sector: UInt64(sector), bytes: data)
      oracle.write(sector: sector, data)
    }
    try chain.close()
    return oracle
  }

  @Test func journaledGrowMovesBlocksAndKeepsEveryByte() throws {
    let s = MemoryStorage()
    let oracle = try filledDynamic("/d.vhd", storage: s)
    let moved = try VHDResize.grow("/d.vhd", to: 2048 * Self.mib, journal: "/d.jrn", storage: s)
    // 1024 BAT slots (4 KiB) and a 1-sector map push the metadata past the first block only.
    #expect(moved == 1)
    #expect(!s.exists("/d.jrn"))
    #expect(VHDCheck.check(path: "/d.vhd", storage: s, options: CheckOptions(ignoreTimestamps: true)).isEmpty)
    let image = try VHDImage.open("/d.vhd", storage: s)
    #expect(image.virtualSize == 2048 * Self.mib)
    #expect(image.header?.maxTableEntries == 1024)
    #expect(image.footer.originalSize == 32 * Self.mib)
    let chain = try VHDChain.open("/d.vhd", storage: s, writable: true)
    #expect(firstMismatch(try chain.read(sector: 0, count: 65536), oracle.bytes) == nil)
    #expect(try chain.read(sector: 65536, count: 8).allSatisfy { $0 == 0 })
    // The new space is writable and reads back.
    var rng = TestRNG(9)
    let data = rng.bytes(4096)
    try chain.write(sector: 4_000_000, bytes: data)
    try chain.close()
    let reread = try VHDChain.open("/d.vhd", storage: s)
    #expect(try reread.read(sector: 4_000_000, count: 8) == data)
    #expect(VHDCheck.check(path: "/d.vhd", storage: s, options: CheckOptions(ignoreTimestamps: true)).isEmpty)
  }

  @Test func growingInsideTheBATPaddingMovesNothing() throws {
    let s = MemoryStorage()
    let oracle = try filledDynamic("/d.vhd", storage: s)
    let before = try contents(s, "/d.vhd")
    // 16 → 100 slots still fit the one padded BAT sector (128 slots): only BAT, map, header, footers.
    #expect(try VHDResize.grow("/d.vhd", to: 200 * Self.mib, journal: "/d.jrn", storage: s) == 0)
    let after = try contents(s, "/d.vhd")
    #expect(after.count == before.count)
    #expect(VHDCheck.check(path: "/d.vhd", storage: s, options: CheckOptions(ignoreTimestamps: true)).isEmpty)
    let chain = try VHDChain.open("/d.vhd", storage: s)
    #expect(chain.virtualSize == 200 * Self.mib)
    #expect(firstMismatch(try chain.read(sector: 0, count: 65536), oracle.bytes) == nil)
  }

  @Test func differencingChildGrowsOverItsSmallerParent() throws {
    let s = MemoryStorage()
    var oracle = try filledDynamic("/p.vhd", storage: s)
    let parent = try VHDImage.open("/p.vhd", storage: s)
    let child = try VHDImage.createDifferencing(
      "/c.vhd", parent: .init(image: parent), storage: s, stamp: testStamp(5))
    let chain = try VHDChain(images: [child, parent])
    var rng = TestRNG(3)
    let data = rng.bytes(8192)
    try chain.write(sector: 0, bytes: data)
    oracle.write(sector: 0, data)
    try chain.close()
    try VHDResize.grow("/c.vhd", to: 4096 * Self.mib, journal: "/c.jrn", storage: s)
    let grown = try VHDChain.open("/c.vhd", storage: s)
    #expect(grown.virtualSize == 4096 * Self.mib)
    #expect(firstMismatch(try grown.read(sector: 0, count: 65536), oracle.bytes) == nil)
    #expect(try grown.read(sector: 65536, count: 16).allSatisfy { $0 == 0 })
    #expect(grown.images[0].locatorPaths.count == 3)
    #expect(VHDCheck.check(path: "/c.vhd", storage: s, options: CheckOptions(ignoreTimestamps: true)).isEmpty)
  }

  /// Every physical write of the journaled grow cut (lost and torn): `revert` gives back the
  /// original file byte for byte; with no cut the file is grown.
  @Test func everyCutOfTheJournaledGrowRevertsToTheOriginalBytes() throws {
    var cuts = 0
    for tear in [false, true] {
      var k = 1
      while true {
        let base = MemoryStorage()
        _ = try filledDynamic("/d.vhd", storage: base)
        let original = try contents(base, "/d.vhd")
        let faulty = FaultInjectingStorage(base, crashAfterWrites: k, tear: tear)
        let finished =
          (try? VHDResize.grow("/d.vhd", to: 2048 * Self.mib, journal: "/d.jrn", storage: faulty)) != nil
        if finished {
          #expect(!faulty.hasCrashed)
          break
        }
        cuts += 1
        let outcome = try VHDResize.revert("/d.vhd", journal: "/d.jrn", storage: base)
        #expect(!base.exists("/d.jrn"))
        if outcome == .noJournal {
          // Cut at the journal's creation (nothing done), or at its removal, which a torn namespace
          // change completes: then the grow stands.
          let grown = try VHDImage.open("/d.vhd", storage: base).virtualSize == 2048 * Self.mib
          #expect(try contents(base, "/d.vhd") == original || (tear && grown), "cut \(k) tear \(tear)")
        } else {
          #expect(try contents(base, "/d.vhd") == original, "cut \(k) tear \(tear)")
        }
        #expect(
          VHDCheck.check(path: "/d.vhd", storage: base, options: CheckOptions(ignoreTimestamps: true))
            .isEmpty,
          "cut \(k) tear \(tear)")
        k += 1
      }
    }
    // create + write of the journal, 2 poisons, the zero gap, 1 moved block, BAT, map, map header,
    // header, end footer, copy, journal removal: 13 cut points, each lost and torn.
    #expect(cuts == 26)
  }

  @Test func fastGrowRewritesOnlyTheFootersWhenTheBATHasRoom() throws {
    let s = MemoryStorage()
    // A 64 MiB file presented as 32 MiB: 32 BAT slots for 16 blocks, as `vhd-util create -S` leaves.
    _ = try VHDImage.createDynamic("/f.vhd", size: 64 * Self.mib, storage: s, stamp: testStamp(6))
    try TestImages.editFooters("/f.vhd", in: s) {
      $0.currentSize = 32 * Self.mib
      $0.originalSize = 32 * Self.mib
      $0.geometry = DiskGeometry(forSize: 32 * Self.mib)
    }
    let image = try VHDImage.open("/f.vhd", storage: s)
    #expect(VHDResize.maxFastSize(of: image) == 64 * Self.mib)
    let before = try contents(s, "/f.vhd")
    try VHDResize.growFast("/f.vhd", to: 64 * Self.mib, storage: s)
    let after = try contents(s, "/f.vhd")
    #expect(after.count == before.count)
    #expect(after[512..<(after.count - 512)] == before[512..<(before.count - 512)])
    #expect(try VHDImage.open("/f.vhd", storage: s).virtualSize == 64 * Self.mib)
    #expect(VHDCheck.check(path: "/f.vhd", storage: s, options: CheckOptions(ignoreTimestamps: true)).isEmpty)
    #expect(throws: VHDError.self) { try VHDResize.growFast("/f.vhd", to: 66 * Self.mib, storage: s) }
  }

  @Test func shrinkAndALeftoverJournalAreRefusedWithTypedErrors() throws {
    let s = MemoryStorage()
    _ = try filledDynamic("/d.vhd", storage: s)
    do {
      try VHDResize.grow("/d.vhd", to: 16 * Self.mib, journal: "/d.jrn", storage: s)
      Issue.record("shrink accepted")
    } catch let e as VHDError { #expect(e.code == .invalidArgument && e.field == "size") }
    _ = try s.create("/d.jrn")
    do {
      try VHDResize.grow("/d.vhd", to: 64 * Self.mib, journal: "/d.jrn", storage: s)
      Issue.record("grow over a leftover journal accepted")
    } catch let e as VHDError { #expect(e.code == .alreadyExists) }
    // The empty journal is an incomplete one: revert drops it and leaves the VHD alone.
    let before = try contents(s, "/d.vhd")
    #expect(try VHDResize.revert("/d.vhd", journal: "/d.jrn", storage: s) == .discardedIncomplete)
    #expect(try contents(s, "/d.vhd") == before)
  }

  @Test(.enabled(if: Peers.available(Peers.qemuImg)))
  func qemuImgReadsTheGrownImageByteIdentically() throws {
    let dir = try TempFolder()
    let s = FileStorage()
    var oracle = try filledDynamic(dir.file("g.vhd"), storage: s)
    try VHDResize.grow(dir.file("g.vhd"), to: 256 * Self.mib, journal: dir.file("g.jrn"), storage: s)
    oracle.bytes += [UInt8](repeating: 0, count: Int(224 * Self.mib))
    try Peers.run(Peers.qemuImg, ["convert", "-f", "vpc", "-O", "raw", dir.file("g.vhd"), dir.file("g.raw")])
    #expect(firstMismatch(try dir.read("g.raw"), oracle.bytes) == nil)
  }

  /// libvhdi opens the grown file and reports as "Media size" the footer's original size, which
  /// a grow keeps as `vhd-util resize` does (docs/vhd-format.md#growing-the-virtual-size).
  @Test(.enabled(if: Peers.available(Peers.vhdiinfo)))
  func vhdiinfoOpensTheGrownFileAndReportsItsOriginalSize() throws {
    let dir = try TempFolder()
    let s = FileStorage()
    _ = try filledDynamic(dir.file("g.vhd"), storage: s)
    try VHDResize.grow(dir.file("g.vhd"), to: 2048 * Self.mib, journal: dir.file("g.jrn"), storage: s)
    let text = try Peers.run(Peers.vhdiinfo, [dir.file("g.vhd")])
    let lines = text.split(separator: "\n")
    #expect(lines.first { $0.contains("Disk type") }?.hasSuffix("Dynamic") == true, "\(text)")
    #expect(lines.first { $0.contains("Media size") }?.contains("(33554432 bytes)") == true, "\(text)")
    #expect(try VHDImage.open(dir.file("g.vhd"), storage: s).footer.originalSize == 32 * Self.mib)
  }
}

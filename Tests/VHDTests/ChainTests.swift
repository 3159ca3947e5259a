// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import VHD

/// Read resolution (docs/vhd-format.md#read-resolution), write placement
/// (docs/vhd-format.md#block-allocation) and the exact per-level accounting.
@Suite struct ChainTests {
  /// base (dynamic) ← s1 ← … ← s(depth−1), all on one memory storage.
  func makeChain(depth: Int, size: UInt64 = 8 << 20, options: EngineOptions = .init()) throws -> (
    MemoryStorage, [String]
  ) {
    let s = MemoryStorage()
    var paths = ["/sr/base.vhd"]
    _ = try VHDImage.createDynamic(paths[0], size: size, storage: s, stamp: testStamp(1), options: options)
    for i in 1..<depth {
      let p = "/sr/s\(i).vhd"
      try VHDSnapshot.create(
        childPath: p, parentPath: paths.last!, storage: s, options: .init(skipEmptyParents: false),
        stamp: testStamp(UInt8(i + 1)), engine: options)
      paths.append(p)
    }
    return (s, paths)
  }

  @Test func spec71ExampleMixesParentAndChildSectors() throws {
    let (s, paths) = try makeChain(depth: 2, size: 4 << 20)
    let base = try VHDChain.open(paths[0], storage: s, writable: true)
    try base.write(sector: 4096, bytes: [UInt8](repeating: 0xAA, count: 9 * 512))  // 4096-4104
    try base.close()
    let leaf = try VHDChain.open(paths[1], storage: s, writable: true)
    try leaf.write(sector: 4102, bytes: [UInt8](repeating: 0xBB, count: 8 * 512))  // 4102-4109
    var acc = RequestAccounting()
    acc.recordRuns = true
    var buf = [UInt8](repeating: 0xEE, count: 7 * 512)
    try buf.withUnsafeMutableBytes {
      try leaf.read(sector: 4098, count: 7, into: $0.baseAddress!, accounting: &acc)
    }
    #expect(Array(buf[0..<4 * 512]) == [UInt8](repeating: 0xAA, count: 4 * 512))
    #expect(Array(buf[(4 * 512)...]) == [UInt8](repeating: 0xBB, count: 3 * 512))
    #expect(acc.levels[0].sectorsServed == 3)
    #expect(acc.levels[1].sectorsServed == 4)
    #expect(acc.levels[0].batProbes == 1 && acc.levels[1].batProbes == 1)
    let runs: [[Int]] = acc.servedRuns.map { [$0.level, Int($0.sector), $0.count] }
    #expect(runs == [[0, 4102, 3], [1, 4098, 4]])
  }

  @Test func readFallingThroughKLevelsCountsExactlyKProbes() throws {
    for useBATMap in [true, false] {
      let options = EngineOptions(bitmapCacheCapacity: 32, useBATMap: useBATMap)
      let (s, paths) = try makeChain(depth: 6, options: options)
      // Full block 0 in the base, half of block 1 in the base.
      let base = try VHDChain.open(paths[0], storage: s, writable: true, options: options)
      try base.write(sector: 0, bytes: [UInt8](repeating: 7, count: 2 << 20))
      try base.write(sector: 4096, bytes: [UInt8](repeating: 8, count: 1 << 20))
      try base.close()
      // Level s3 (index 2 from the leaf s5) holds a few sectors of block 1.
      let mid = try VHDChain.open(paths[3], storage: s, writable: true, options: options)
      try mid.write(sector: 4096 + 100, bytes: [UInt8](repeating: 9, count: 512))
      try mid.close()
      let chain = try VHDChain.open(paths[5], storage: s, options: options)
      #expect(chain.depth == 6)
      var acc = RequestAccounting()
      var buf = [UInt8](repeating: 0, count: 4096)
      // Block 0: probes every level; only the base has it. Cold cache.
      try buf.withUnsafeMutableBytes {
        try chain.read(sector: 8, count: 8, into: $0.baseAddress!, accounting: &acc)
      }
      #expect(acc.levels.map(\.batProbes) == [1, 1, 1, 1, 1, 1])
      #expect(acc.levels[5].batmapShortcuts == (useBATMap ? 1 : 0))
      #expect(acc.levels[5].bitmapReads == (useBATMap ? 0 : 1))
      #expect(acc.total.bitmapConsults == (useBATMap ? 0 : 1))
      #expect(acc.levels[5].sectorsServed == 8)
      #expect(buf == [UInt8](repeating: 7, count: 4096))
      // Again: warm cache.
      try buf.withUnsafeMutableBytes {
        try chain.read(sector: 8, count: 8, into: $0.baseAddress!, accounting: &acc)
      }
      #expect(acc.levels[5].bitmapCacheHits == (useBATMap ? 0 : 1))
      #expect(acc.levels[5].bitmapReads == 0)
      // Block 1, sectors 96..<104: s3 has sector 100 (bitmap consult there), the base the rest.
      try buf.withUnsafeMutableBytes {
        try chain.read(sector: 4096 + 96, count: 8, into: $0.baseAddress!, accounting: &acc)
      }
      #expect(acc.levels.map(\.batProbes) == [1, 1, 1, 1, 1, 1])
      #expect(acc.levels[2].bitmapReads == 1 && acc.levels[2].sectorsServed == 1)
      #expect(acc.levels[5].bitmapReads == 1 && acc.levels[5].sectorsServed == 7)
      #expect(acc.levels[5].batmapShortcuts == 0)  // half-written block: no BATmap bit
      #expect(buf[4 * 512] == 9 && buf[0] == 8 && buf[7 * 512] == 8)
      // Unwritten block 3: every level probed, zero-filled.
      try buf.withUnsafeMutableBytes {
        try chain.read(sector: 3 * 4096, count: 8, into: $0.baseAddress!, accounting: &acc)
      }
      #expect(acc.levels.map(\.batProbes) == [1, 1, 1, 1, 1, 1])
      #expect(acc.zeroFilledSectors == 8 && acc.total.sectorsServed == 0)
      #expect(buf == [UInt8](repeating: 0, count: 4096))
    }
  }

  @Test func bitmapCacheCapacityZeroReadsEveryTime() throws {
    let options = EngineOptions(bitmapCacheCapacity: 0, useBATMap: false)
    let (s, paths) = try makeChain(depth: 1, options: options)
    let c = try VHDChain.open(paths[0], storage: s, writable: true, options: options)
    try c.write(sector: 0, bytes: [UInt8](repeating: 1, count: 4096))
    var acc = RequestAccounting()
    var buf = [UInt8](repeating: 0, count: 4096)
    for _ in 0..<3 {
      try buf.withUnsafeMutableBytes {
        try c.read(sector: 0, count: 8, into: $0.baseAddress!, accounting: &acc)
      }
      #expect(acc.levels[0].bitmapReads == 1 && acc.levels[0].bitmapCacheHits == 0)
    }
  }

  @Test func ioTapListsEveryPhysicalIOOfAnAllocatingWrite() throws {
    let (s, paths) = try makeChain(depth: 2)
    let chain = try VHDChain.open(paths[1], storage: s, writable: true)
    let rec = IORecorder()
    chain.setObserver(rec)
    try chain.write(sector: 4096 + 3, bytes: [UInt8](repeating: 5, count: 1024))
    // libvhd's writes in the crash-safe order (docs/vhd-format.md#crash-safety): end footer at the
    // new end, zero gap+bitmap, zero data area, BAT sector, data, bitmap.
    #expect(rec.ios.map(\.kind) == [.footer, .bitmap, .data, .bat, .data, .bitmap])
    #expect(rec.ios.map(\.direction) == [.write, .write, .write, .write, .write, .write])
    let entry = UInt64(chain.leaf.blockEntry(1)!)
    #expect(entry % 8 == 7)
    #expect(rec.ios[0].offset == (entry + 1 + 4096) * 512)
    #expect(rec.ios[3].offset == 1536 && rec.ios[3].length == 512)
    #expect(rec.ios[4].offset == (entry + 1 + 3) * 512 && rec.ios[4].length == 1024)
    #expect(rec.ios[5].offset == entry * 512 && rec.ios[5].length == 512)
    rec.reset()
    // A second write into the same block: data + bitmap only (bitmap cached).
    try chain.write(sector: 4096 + 10, bytes: [UInt8](repeating: 6, count: 512))
    #expect(rec.ios.map(\.kind) == [.data, .bitmap])
    #expect(chain.lastAccounting.levels[0].bitmapCacheHits == 1)
    rec.reset()
    // Rewriting written sectors changes no bit: data only.
    try chain.write(sector: 4096 + 10, bytes: [UInt8](repeating: 6, count: 512))
    #expect(rec.ios.map(\.kind) == [.data])
  }

  @Test func fullBlockSetsBATMapBitAndFooterCopiesStayIdentical() throws {
    let (s, paths) = try makeChain(depth: 1)
    let chain = try VHDChain.open(paths[0], storage: s, writable: true)
    try chain.write(sector: 0, bytes: [UInt8](repeating: 3, count: 1 << 20))
    #expect(!chain.leaf.batmapBit(0))
    try chain.write(sector: 2048, bytes: [UInt8](repeating: 4, count: 1 << 20))
    #expect(chain.leaf.batmapBit(0))
    #expect(chain.lastAccounting.batmapBitsSet == 1)
    let bytes = try contents(s, paths[0])
    #expect(Array(bytes[0..<512]) == Array(bytes[(bytes.count - 512)...]))
    let reopened = try VHDImage.open(paths[0], storage: s, writable: true)
    #expect(reopened.batmapBit(0))
    #expect(reopened.allocatedBlockCount == 1)
  }

  @Test func tapdiskFooterPolicyDefersFooterUntilClose() throws {
    let options = EngineOptions(footerPolicy: .onClose)
    let (s, paths) = try makeChain(depth: 1, options: options)
    let chain = try VHDChain.open(paths[0], storage: s, writable: true, options: options)
    try chain.write(sector: 0, bytes: [UInt8](repeating: 3, count: 2 << 20))
    // The new block overwrote the end footer: only the offset-0 copy is valid, and readers use it.
    let live = try VHDImage.open(paths[0], storage: s)
    #expect(live.allocatedBlockCount == 1)
    #expect(!chain.leaf.batmapBit(0) || true)
    try chain.close()
    let bytes = try contents(s, paths[0])
    #expect(Array(bytes[0..<512]) == Array(bytes[(bytes.count - 512)...]))
    #expect(try VHDImage.open(paths[0], storage: s).batmapBit(0))
  }

  @Test func rawParentAndLargerChild() throws {
    let s = MemoryStorage()
    let raw = try s.create("/sr/base.raw")
    let pattern = [UInt8](repeating: 0x5A, count: 4 << 20)
    try pattern.withUnsafeBytes { try raw.write($0, at: 0, kind: .data) }
    let (child, _) = try VHDSnapshot.create(
      childPath: "/sr/c.vhd", parentPath: "/sr/base.raw", storage: s,
      options: .init(rawParent: true, size: 8 << 20),
      stamp: testStamp(9))
    #expect(child.header!.parentUniqueID.isNull)
    #expect(child.virtualSize == 8 << 20)
    let chain = try VHDChain.open("/sr/c.vhd", storage: s, writable: true)
    #expect(chain.images[1].format == .raw)
    try chain.write(sector: 10, bytes: [UInt8](repeating: 1, count: 512))
    let all = try readAll(chain)
    #expect(all[0] == 0x5A && all[10 * 512] == 1 && all[11 * 512] == 0x5A)
    #expect(all[(4 << 20) - 1] == 0x5A && all[4 << 20] == 0)  // beyond the raw parent: zeros
    #expect(all.count == 8 << 20)
  }

  @Test func emptyParentSkippingAndDepthLimit() throws {
    let (s, paths) = try makeChain(depth: 3)
    // s1 and s2 are empty: a snapshot of s2 links to the base unless -e.
    let (_, linked) = try VHDSnapshot.create(
      childPath: "/sr/x.vhd", parentPath: paths[2], storage: s, stamp: testStamp(20))
    #expect(linked == "/sr/base.vhd")
    let (_, unskipped) = try VHDSnapshot.create(
      childPath: "/sr/y.vhd", parentPath: paths[2], storage: s, options: .init(skipEmptyParents: false),
      stamp: testStamp(21))
    #expect(unskipped == paths[2])
    #expect(throws: VHDError.self) {
      try VHDSnapshot.create(
        childPath: "/sr/z.vhd", parentPath: paths[2], storage: s,
        options: .init(skipEmptyParents: false, depthLimit: 3))
    }
    #expect(!s.exists("/sr/z.vhd"))
  }

  @Test func writesPastTheEndAndReadOnlyRefuse() throws {
    let (s, paths) = try makeChain(depth: 2, size: 4 << 20)
    let ro = try VHDChain.open(paths[1], storage: s)
    let before = try contents(s, paths[1])
    #expect(throws: VHDError.self) { try ro.write(sector: 0, bytes: [UInt8](repeating: 1, count: 512)) }
    let rw = try VHDChain.open(paths[1], storage: s, writable: true)
    do {
      try rw.write(sector: 8191, bytes: [UInt8](repeating: 1, count: 1024))
      Issue.record("write past the end succeeded")
    } catch let e as VHDError {
      #expect(e.code == .outOfRange)
      #expect(e.file == paths[1])
    }
    #expect(firstMismatch(try contents(s, paths[1]), before) == nil)
  }

  @Test func coalesceStepsAreBoundedAndResumable() throws {
    let (s, paths) = try makeChain(depth: 3)
    var oracle = FlatOracle(size: 8 << 20)
    var rng = TestRNG(5)
    let mid = try VHDChain.open(paths[1], storage: s, writable: true)
    for _ in 0..<20 {
      let sector = rng.below(16384 - 300)
      let data = rng.bytes((1 + rng.below(300)) * 512)
      try mid.write(sector: UInt64(sector), bytes: data)
      oracle.write(sector: sector, data)
    }
    try mid.write(sector: 4096 * 3, bytes: [UInt8](repeating: 2, count: 2 << 20))  // a full block
    oracle.write(sector: 4096 * 3, [UInt8](repeating: 2, count: 2 << 20))
    try mid.close()
    let job = try CoalesceJob.open(paths[1], storage: s)
    var steps = 0
    while !job.isFinished {
      let n = try job.step(maxBytes: 64 << 10)
      #expect(n <= 64 << 10)
      steps += 1
    }
    #expect(steps > 10)
    // The full block is copied whole (BATmap shortcut) in 64 KiB steps: a partial first visit
    // after the previous block's last run, then 32 steps.
    #expect(job.accounting.levels[0].batmapShortcuts == 33)
    // The base alone now reads what s1 read; the leaf (s2 → s1 → base) is unchanged.
    #expect(firstMismatch(try readAll(VHDChain.open(paths[0], storage: s)), oracle.bytes) == nil)
    #expect(firstMismatch(try readAll(VHDChain.open(paths[2], storage: s)), oracle.bytes) == nil)
    #expect(VHDCheck.check(path: paths[0], storage: s).isEmpty)
    // Reparent the leaf onto the base and drop s1: same content.
    try VHDReparent.reparent(paths[2], newParent: paths[0], storage: s)
    try s.remove(paths[1])
    let after = try VHDChain.open(paths[2], storage: s)
    #expect(after.depth == 2)
    #expect(firstMismatch(try readAll(after), oracle.bytes) == nil)
    #expect(
      VHDCheck.check(
        path: paths[2], storage: s,
        options: {
          var o = CheckOptions()
          o.checkParents = true
          return o
        }()
      ).isEmpty)
  }

  @Test func reparentRefusesAPathThatDoesNotFitAndWritesNothing() throws {
    let (s, paths) = try makeChain(depth: 2)
    let long = "/sr/" + String(repeating: "d", count: 200) + "/" + String(repeating: "p", count: 200) + ".vhd"
    _ = try VHDImage.createDynamic(long, size: 8 << 20, storage: s, stamp: testStamp(30))
    let before = try contents(s, paths[1])
    do {
      try VHDReparent.reparent(paths[1], newParent: long, storage: s)
      Issue.record("reparent succeeded")
    } catch let e as VHDError {
      #expect(e.code == .locatorTooSmall)
      #expect(e.field == "header.parent_locator[1]")  // MacX (UTF-8) fits, W2ku (UTF-16) does not
    }
    #expect(firstMismatch(try contents(s, paths[1]), before) == nil)
  }

  @Test func exportIsSparseAndExact() throws {
    let (s, paths) = try makeChain(depth: 2)
    var oracle = FlatOracle(size: 8 << 20)
    let c0 = try VHDChain.open(paths[0], storage: s, writable: true)
    try c0.write(sector: 100, bytes: [UInt8](repeating: 1, count: 8192))
    oracle.write(sector: 100, [UInt8](repeating: 1, count: 8192))
    try c0.close()
    let c1 = try VHDChain.open(paths[1], storage: s, writable: true)
    try c1.write(sector: 3 * 4096 + 7, bytes: [UInt8](repeating: 2, count: 512))
    oracle.write(sector: 3 * 4096 + 7, [UInt8](repeating: 2, count: 512))
    let out = try s.create("/out.raw")
    let r = try VHDExport.toRaw(c1, output: out)
    #expect(r.blocksSkipped == 2 && r.blocksRead == 2)
    #expect(r.bytesWritten == 4 * 4096)  // only non-zero pages: 3 around sector 100, 1 in block 3
    #expect(firstMismatch(try contents(s, "/out.raw"), oracle.bytes) == nil)
  }

  @Test func mergedRunReadsNeverOverwriteUpperLevels() throws {
    let (s, paths) = try makeChain(depth: 3)
    let base = try VHDChain.open(paths[0], storage: s, writable: true)
    try base.write(sector: 0, bytes: [UInt8](repeating: 1, count: 64 * 512))
    try base.close()
    let mid = try VHDChain.open(paths[1], storage: s, writable: true)
    try mid.write(sector: 10, bytes: [UInt8](repeating: 2, count: 5 * 512))  // 10-14
    try mid.write(sector: 19, bytes: [UInt8](repeating: 2, count: 7 * 512))  // 19-25
    try mid.close()
    let leaf = try VHDChain.open(paths[2], storage: s, writable: true)
    try leaf.write(sector: 15, bytes: [UInt8](repeating: 3, count: 4 * 512))  // 15-18
    let rec = IORecorder()
    leaf.setObserver(rec)
    for gap in [0, 4096] {
      leaf.mergeGapSectors = gap
      rec.reset()
      let got = try leaf.read(sector: 8, count: 24)
      let expected: [UInt8] = (8..<32).flatMap { sector -> [UInt8] in
        let v: UInt8 =
          (15...18).contains(sector) ? 3 : ((10...14).contains(sector) || (19...25).contains(sector)) ? 2 : 1
        return [UInt8](repeating: v, count: 512)
      }
      #expect(firstMismatch(got, expected) == nil, "gap \(gap)")
      // Level 1's two runs are split by sectors level 0 served: never merged.
      #expect(rec.count(.data, .read) == 5, "gap \(gap)")
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import VHD

/// `markWritten` (the bulk write of the pool's epoch resolution) must leave exactly the bytes that
/// writing zeros over the same sectors one request at a time leaves: same allocation order and
/// placement, bitmaps, BATmap, footer, for every engine option that changes what a write does.
@Suite struct MarkWrittenTests {
  static let size: UInt64 = 16 << 20
  static let optionSets: [EngineOptions] = [
    EngineOptions(),
    EngineOptions(footerPolicy: .onClose),
    EngineOptions(useBATMap: false, zeroFill: .bitmapOnly),
    EngineOptions(bitmapCacheCapacity: 0, footerPolicy: .onClose, zeroFill: .bitmapOnly),
  ]

  /// A base with some data and (when `depth` is 2) a snapshot child: the leaf to write.
  func makeChain(_ storage: MemoryStorage, depth: Int, seed: UInt64, options: EngineOptions) throws -> String
  {
    var rng = TestRNG(seed ^ 0xBA5E)
    _ = try VHDImage.createDynamic(
      "/sr/base.vhd", size: Self.size, storage: storage, stamp: testStamp(1), options: options)
    let base = try VHDChain.open("/sr/base.vhd", storage: storage, writable: true, options: options)
    for _ in 0..<6 {
      let count = 1 + rng.below(600)
      try base.write(sector: UInt64(rng.below(Int(Self.size / 512) - count)), bytes: rng.bytes(count * 512))
    }
    try base.close()
    guard depth == 2 else { return "/sr/base.vhd" }
    _ = try VHDSnapshot.create(
      childPath: "/sr/leaf.vhd", parentPath: "/sr/base.vhd", storage: storage,
      options: .init(skipEmptyParents: false), stamp: testStamp(2), engine: options)
    return "/sr/leaf.vhd"
  }

  /// Random writes (sector, count): small and unaligned, some whole blocks, some across a boundary.
  func randomWrites(_ rng: inout TestRNG, count: Int) -> [(sector: Int, count: Int)] {
    let sectors = Int(Self.size / 512)
    return (0..<count).map { _ in
      let n: Int
      switch rng.below(12) {
      case 0: n = 4096
      case 1: n = 100 + rng.below(3000)
      default: n = 1 + rng.below(128)
      }
      let sector =
        rng.below(8) == 0 ? (1 + rng.below(7)) * 4096 - rng.below(min(n, 40)) : rng.below(sectors - n)
      return (sector, n)
    }
  }

  @Test(arguments: 0..<16)
  func bulkEqualsOneByOne(seed: Int) throws {
    try compareBulk(seed: seed, flavour: .inMemory)
  }

  /// On the metadata-only device `markWritten` marks a block's pieces in one device call
  /// (`MetadataOnlyDevice.writeZeroData`): the kept bytes and the data sectors must still be what
  /// the requests leave.
  @Test(arguments: 0..<8)
  func bulkEqualsOneByOneMetadataOnly(seed: Int) throws {
    try compareBulk(seed: seed, flavour: .metadataOnly)
  }

  func compareBulk(seed: Int, flavour: MemoryStorage.Flavour) throws {
    var rng = TestRNG(UInt64(seed))
    let options = Self.optionSets[seed % Self.optionSets.count]
    let depth = 1 + seed / 2 % 2
    let (one, bulk) = (MemoryStorage(flavour: flavour), MemoryStorage(flavour: flavour))
    let leaf = try makeChain(one, depth: depth, seed: UInt64(seed), options: options)
    _ = try makeChain(bulk, depth: depth, seed: UInt64(seed), options: options)
    let writes = randomWrites(&rng, count: 1 + rng.below(60))

    let c1 = try VHDChain.open(leaf, storage: one, writable: true, options: options)
    for w in writes {
      try c1.write(sector: UInt64(w.sector), bytes: [UInt8](repeating: 0, count: w.count * 512))
    }
    try c1.close()

    // The same writes as per-block masks, applied in the order the writes first touched the blocks.
    var masks: [Int: [UInt64]] = [:]
    var order: [Int] = []
    for w in writes {
      for s in w.sector..<(w.sector + w.count) {
        let block = s / 4096
        if masks[block] == nil {
          masks[block] = [UInt64](repeating: 0, count: 64)
          order.append(block)
        }
        let k = s % 4096
        masks[block]![k / 64] |= 1 << UInt64(63 - k % 64)
      }
    }
    let c2 = try VHDChain.open(leaf, storage: bulk, writable: true, options: options)
    var accounting = RequestAccounting()
    var allocated = 0
    for block in order {
      try masks[block]!.withUnsafeBufferPointer {
        try c2.markWritten(block: block, mask: $0.baseAddress!, accounting: &accounting)
      }
      allocated += accounting.blocksAllocated
    }
    try c2.close()
    for path in ["/sr/base.vhd", leaf] {
      let mismatch = firstMismatch(try contents(bulk, path), try contents(one, path))
      #expect(mismatch == nil, "seed \(seed): \(path) differs at byte \(mismatch ?? -1)")
      if flavour == .metadataOnly {
        let a = try #require(try one.open(path, writable: false) as? MetadataOnlyDevice)
        let b = try #require(try bulk.open(path, writable: false) as? MetadataOnlyDevice)
        #expect(a.writtenDataRanges() == b.writtenDataRanges(), "seed \(seed): \(path) data sectors")
        #expect(a.length == b.length)
      }
    }
    #expect(VHDCheck.check(path: leaf, storage: bulk).isEmpty)
    if depth == 2 { #expect(allocated == order.count, "a fresh leaf allocates every touched block") }
  }

  @Test func emptyMaskDoesNothingAndBadBlockThrows() throws {
    let storage = MemoryStorage()
    let leaf = try makeChain(storage, depth: 2, seed: 7, options: EngineOptions())
    let before = try contents(storage, leaf)
    let chain = try VHDChain.open(leaf, storage: storage, writable: true)
    var accounting = RequestAccounting()
    let zero = [UInt64](repeating: 0, count: 64)
    try zero.withUnsafeBufferPointer {
      try chain.markWritten(block: 3, mask: $0.baseAddress!, accounting: &accounting)
    }
    #expect(accounting.blocksAllocated == 0 && accounting.levels[0].batProbes == 0)
    #expect(try contents(storage, leaf) == before)
    let one = [UInt64](repeating: 1, count: 64)
    #expect(throws: VHDError.self) {
      try one.withUnsafeBufferPointer {
        try chain.markWritten(block: 8, mask: $0.baseAddress!, accounting: &accounting)
      }
    }
  }
}

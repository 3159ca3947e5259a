// SPDX-License-Identifier: GPL-3.0-or-later
import SeededRandom
import Testing

@testable import VHD

/// Sectors the store finds in different ways: hundreds in chunk 0 (a list), one per chunk (packed
/// in the entry), chunk and 64-sector group edges, the chunks around the end of `ChunkEntryMap`'s
/// directly addressed pages (1 TiB) and a page edge past it, and the furthest addressable sectors.
private enum Candidates {
  static let sectorsPerChunk = UInt64(ChunkTable.sectorsPerChunk)
  static let chunkZero = (0..<320).map { UInt64($0) }
  /// A VHD's bitmaps: one every 4,097 sectors, so about one per chunk.
  static let bitmaps = (0..<64).map { 7 + UInt64($0) * 4097 }
  static let edges: [UInt64] = {
    let offsets: [UInt64] = [0, 1, 63, 64, 65, 127, 128, 4031, 4032, 4095]
    return [1, 2, 511, 512, 513].flatMap { chunk in offsets.map { chunk * sectorsPerChunk + $0 } }
  }()
  static let directEdge: [UInt64] = {
    let direct = ChunkEntryMap.directPages * UInt64(ChunkEntryMap.pageEntries)
    let page = UInt64(ChunkEntryMap.pageEntries)
    let chunks = [direct - 1, direct, direct + 1, direct + page - 1, direct + page]
    return chunks.flatMap { chunk in [0, 1, 63, 64, 4095].map { chunk * sectorsPerChunk + $0 } }
  }()
  static let far: [UInt64] = {
    let last = UInt64(Int64.max) >> 9
    return [last, last - 1, last - 63, last - 64, last - 4095, last - 4096, 1 << 40, (1 << 40) + 64]
  }()
  static let all = [chunkZero, bitmaps, edges, directEdge, far]
}

/// The plain model: stored sectors as byte arrays.
private struct Oracle {
  private(set) var sectors: [UInt64: [UInt8]] = [:]
  /// Sectors whose bits form more than two runs of ones, counted bit by bit.
  private(set) var owned: Set<UInt64> = []
  /// Sectors of `owned` a `settle` coded and nothing has changed since.
  private(set) var coded: Set<UInt64> = []
  /// The stored sectors in the order they were first stored (removals swap in the last), for
  /// drawing one reproducibly.
  private(set) var order: [UInt64] = []
  private var positions: [UInt64: Int] = [:]

  subscript(sector: UInt64) -> [UInt8]? {
    get { sectors[sector] }
    set {
      sectors[sector] = newValue
      coded.remove(sector)
      if let newValue, Self.runs(in: newValue) > 2 { owned.insert(sector) } else { owned.remove(sector) }
      if newValue != nil, positions[sector] == nil {
        positions[sector] = order.count
        order.append(sector)
      } else if newValue == nil, let position = positions.removeValue(forKey: sector) {
        let last = order.removeLast()
        if position < order.count {
          order[position] = last
          positions[last] = position
        }
      }
    }
  }

  /// What `SectorStore.settle` does: codes the sectors with more than two runs whose edges, in
  /// little-endian word order (bit `k` of byte `b` is bit `8b + k`), fit 256 bytes of LEB128 gaps
  /// after a 10-byte header.
  mutating func settle() {
    for sector in owned where Self.codeBytes(sectors[sector] ?? []) <= 256 { coded.insert(sector) }
  }

  static func codeBytes(_ bytes: [UInt8]) -> Int {
    var size = 10
    var previous = false
    var last = 0
    for bit in 0...bytes.count * 8 {
      let set = bit < bytes.count * 8 && bytes[bit >> 3] >> UInt8(bit & 7) & 1 != 0
      if set != previous {
        size += bit - last < 128 ? 1 : 2
        last = bit
      }
      previous = set
    }
    return size
  }

  static func runs(in bytes: [UInt8]) -> Int {
    var runs = 0
    var previous = false
    for bit in 0..<bytes.count * 8 {
      let set = bytes[bit >> 3] & (0x80 >> UInt8(bit & 7)) != 0
      if set && !previous { runs += 1 }
      previous = set
    }
    return runs
  }

  func mask(group: UInt64) -> UInt64 {
    var mask: UInt64 = 0
    for bit in 0..<64 where sectors[group << 6 + UInt64(bit)] != nil { mask |= 1 << UInt64(bit) }
    return mask
  }
}

/// Draws the operations from a seeded generator.
private struct Draws {
  var generator: SplitMix64

  mutating func below(_ bound: Int) -> Int { Int(generator.next() % UInt64(bound)) }

  mutating func sector(_ oracle: Oracle) -> UInt64 {
    if below(8) == 0 && !oracle.order.isEmpty { return oracle.order[below(oracle.order.count)] }
    let candidates = Candidates.all[below(Candidates.all.count)]
    return candidates[below(candidates.count)]
  }

  /// All ones, all zeros, one or two runs of ones (a run code), three runs, a bitmap of up to 60
  /// whole-byte runs, or random bytes.
  mutating func bytes(_ count: Int) -> [UInt8] {
    switch below(8) {
    case 0: return [UInt8](repeating: 0xFF, count: count)
    case 1: return [UInt8](repeating: 0, count: count)
    case 2, 3, 4:
      var bytes = [UInt8](repeating: 0, count: count)
      for _ in 0..<below(4) {
        let first = below(count * 8)
        for bit in first..<first + below(count * 8 - first + 1) { bytes[bit >> 3] |= 0x80 >> UInt8(bit & 7) }
      }
      return bytes
    case 5, 6:
      var bytes = [UInt8](repeating: 0, count: count)
      for _ in 0..<below(61) {
        let first = below(count)
        for byte in first..<min(count, first + 1 + below(12)) { bytes[byte] = 0xFF }
      }
      return bytes
    default: return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }
  }
}

@Suite struct SectorStoreTests {
  /// The bytes the store holds for `sector`, read with `copy` from `offset`.
  private static func read(_ store: SectorStore, _ slot: SectorStore.Slot, from offset: Int, count: Int)
    -> [UInt8]
  {
    var bytes = [UInt8](repeating: 0xA5, count: count)
    bytes.withUnsafeMutableBytes { store.copy(slot, from: offset, count: count, to: $0.baseAddress!) }
    return bytes
  }

  /// Checks `sector` and the groups around it; false at the first difference.
  private static func agree(
    _ store: SectorStore, _ oracle: Oracle, _ sector: UInt64, _ draws: inout Draws, _ step: String
  ) -> Bool {
    let expected = oracle.sectors[sector]
    let slot = store.slot(sector)
    guard (slot != nil) == (expected != nil) else {
      Issue.record("\(step): sector \(sector) stored \(slot != nil), expected \(expected != nil)")
      return false
    }
    if let slot, let expected {
      let from = draws.below(512)
      let count = draws.below(512 - from) + 1
      guard read(store, slot, from: 0, count: 512) == expected,
        read(store, slot, from: from, count: count) == Array(expected[from..<from + count])
      else {
        Issue.record("\(step): bytes of sector \(sector)")
        return false
      }
    }
    let group = sector >> 6
    for neighbour in [group &- 1, group, group &+ 1] where neighbour <= UInt64(Int64.max) >> 15 {
      guard store.storedMask(group: neighbour) == oracle.mask(group: neighbour) else {
        Issue.record("\(step): mask of group \(neighbour)")
        return false
      }
    }
    guard store.count == oracle.sectors.count, store.ownedCount == oracle.owned.count - oracle.coded.count,
      store.codedCount == oracle.coded.count
    else {
      Issue.record(
        "\(step): count \(store.count)/\(oracle.sectors.count), owned \(store.ownedCount), coded \(store.codedCount)"
      )
      return false
    }
    return true
  }

  @Test(
    "random writes, zeroing, removals and settles agree with a dictionary of byte arrays", arguments: 1...4)
  func agreesWithOracle(seed: UInt64) {
    let store = SectorStore()
    var oracle = Oracle()
    var draws = Draws(generator: SplitMix64(seed: 0x5EC7 + seed))
    for step in 0..<4_000 {
      let sector = draws.sector(oracle)
      var what: String
      let stored = store.slot(sector)
      switch draws.below(10) {
      case 0..<3 where stored != nil:
        let slot = stored ?? 0
        let from = draws.below(511)
        let count = 1 + draws.below(511 - from)
        store.zero(sector, slot, from: from, count: count)
        oracle[sector]?.replaceSubrange(from..<from + count, with: [UInt8](repeating: 0, count: count))
        what = "zero \(sector) [\(from), +\(count))"
      case 3..<5 where stored != nil:
        store.remove(sector, stored ?? 0)
        oracle[sector] = nil
        what = "remove \(sector)"
      default:
        let whole = draws.below(2) == 0
        let from = whole ? 0 : draws.below(512)
        let count = whole ? 512 : 1 + draws.below(512 - from)
        let bytes = draws.bytes(count)
        bytes.withUnsafeBytes { store.write(sector, $0.baseAddress!, at: from, count: count) }
        var expected = oracle[sector] ?? [UInt8](repeating: 0, count: 512)
        expected.replaceSubrange(from..<from + count, with: bytes)
        oracle[sector] = expected
        what = "write \(sector) [\(from), +\(count))"
      }
      guard Self.agree(store, oracle, sector, &draws, "seed \(seed) step \(step): \(what)") else { return }
      // Settling codes the sectors of many runs, which later steps read, change and settle again.
      let settles = draws.below(100) == 0
      if settles {
        store.settle()
        oracle.settle()
      }
      if step % 500 == 499 || settles {
        for other in oracle.order {
          guard Self.agree(store, oracle, other, &draws, "seed \(seed) step \(step): all") else { return }
        }
      }
    }
    // Removing everything leaves nothing, and the store works again after giving its memory back.
    for sector in oracle.order { store.remove(sector, store.slot(sector) ?? 0) }
    store.releaseAllIfEmpty()
    #expect(store.count == 0 && store.ownedCount == 0)
    let ones = [UInt8](repeating: 0xFF, count: 512)
    ones.withUnsafeBytes { store.write(4097, $0.baseAddress!, at: 0, count: 512) }
    #expect(store.slot(4097) == SectorRuns.code(of: ones))
    #expect(store.storedMask(group: 4097 >> 6) == 1 << (4097 & 63))
  }

  /// A block bitmap of 40 whole-byte runs: 512 bytes of its own while written, a 128-byte code
  /// once settled that reads back the same bytes, and its own 512 bytes again on the next write.
  @Test func settleCodesABitmapOfManyRuns() {
    let store = SectorStore()
    var bitmap = [UInt8](repeating: 0, count: 512)
    for run in 0..<40 { for byte in run * 12..<run * 12 + 1 + run % 7 { bitmap[byte] = 0xFF } }
    #expect(Oracle.runs(in: bitmap) == 40)
    let sectors: [UInt64] = [7, 4097 + 7, 4097 + 8]
    for sector in sectors {
      bitmap.withUnsafeBytes { store.write(sector, $0.baseAddress!, at: 0, count: 512) }
    }
    #expect(store.ownedCount == 3 && store.codedCount == 0 && store.bytes == 3 * 512)
    store.settle()
    #expect(store.ownedCount == 0 && store.codedCount == 3 && store.bytes == 3 * 128)
    for sector in sectors {
      let slot = store.slot(sector) ?? 0
      #expect(Self.read(store, slot, from: 0, count: 512) == bitmap)
      #expect(Self.read(store, slot, from: 61, count: 300) == Array(bitmap[61..<361]))
    }
    // A write (one byte) and a zeroing each give a sector its own bytes again; a settle codes them.
    var changed = bitmap
    changed[1] = 0x0F
    [UInt8(0x0F)].withUnsafeBytes { store.write(7, $0.baseAddress!, at: 1, count: 1) }
    store.zero(4097 + 8, store.slot(4097 + 8) ?? 0, from: 0, count: 4)
    var zeroed = bitmap
    zeroed.replaceSubrange(0..<4, with: [0, 0, 0, 0])
    #expect(store.ownedCount == 2 && store.codedCount == 1 && store.bytes == 2 * 512 + 128)
    #expect(Self.read(store, store.slot(7) ?? 0, from: 0, count: 512) == changed)
    #expect(Self.read(store, store.slot(4097 + 8) ?? 0, from: 0, count: 512) == zeroed)
    store.settle()
    #expect(store.ownedCount == 0 && store.codedCount == 3)
    #expect(Self.read(store, store.slot(7) ?? 0, from: 0, count: 512) == changed)
    // Removing gives the codes back.
    for sector in sectors { store.remove(sector, store.slot(sector) ?? 0) }
    #expect(store.count == 0 && store.codedCount == 0 && store.bytes == 0)
  }

  /// Through the device: a snapshot's parent settles its bitmaps, and `footprint` and
  /// `sectorBytes` show it.
  @Test func deviceSettlesBitmaps() throws {
    let device = MetadataOnlyDevice(name: "bitmaps")
    var bitmap = [UInt8](repeating: 0, count: 512)
    for run in 0..<40 { for byte in run * 12..<run * 12 + 5 { bitmap[byte] = 0xFF } }
    for block in 0..<4 {
      try bitmap.withUnsafeBytes { try device.write($0, at: UInt64(7 + block * 4097) * 512, kind: .bitmap) }
    }
    #expect(device.backing.footprint.ownedSectors == 4 && device.backing.sectorBytes == 4 * 512)
    device.reopen(writable: false).settle()
    #expect(device.backing.footprint.ownedSectors == 0 && device.backing.footprint.sectors == 4)
    #expect(device.backing.sectorBytes == 4 * 128)
    var back = [UInt8](repeating: 0, count: 512)
    try back.withUnsafeMutableBytes { try device.read(into: $0, at: UInt64(7 + 4097) * 512, kind: .bitmap) }
    #expect(back == bitmap)
  }
}

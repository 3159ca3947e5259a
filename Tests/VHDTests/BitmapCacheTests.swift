// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import VHD

/// `BitmapCache` against a plain model of tapdisk's CLOCK cache (a dictionary from block to slot):
/// over random lookups and inserts, every answer (hit or miss, and which slot) is the model's. The
/// hash table's deletions move entries, so the tests use small tables where probe runs wrap.
@Suite struct BitmapCacheTests {
  /// The cache as the engine had it before the hash table: CLOCK over slots, a map from block.
  struct Model {
    let capacity: Int
    var slotOfBlock: [Int: Int] = [:]
    var blockOfSlot: [Int]
    var referenced: [Bool]
    var hand = 0

    init(capacity: Int) {
      self.capacity = capacity
      blockOfSlot = Array(repeating: -1, count: capacity)
      referenced = Array(repeating: false, count: capacity)
    }

    mutating func lookup(_ block: Int) -> Int? {
      guard let s = slotOfBlock[block] else { return nil }
      referenced[s] = true
      return s
    }

    mutating func insert(_ block: Int) -> Int {
      if let s = lookup(block) { return s }
      let s: Int
      if slotOfBlock.count < capacity {
        s = slotOfBlock.count
      } else {
        while referenced[hand] {
          referenced[hand] = false
          hand = (hand + 1) % capacity
        }
        s = hand
        hand = (hand + 1) % capacity
        slotOfBlock[blockOfSlot[s]] = nil
      }
      blockOfSlot[s] = block
      slotOfBlock[block] = s
      referenced[s] = true
      return s
    }
  }

  @Test(arguments: [(1, 5), (2, 7), (3, 40), (32, 25_600), (32, 100), (50, 64), (64, 64)])
  func answersAsTheClockModelDoes(capacity: Int, blocks: Int) {
    let bitmapBytes = 512
    var rng = TestRNG(UInt64(capacity * 1_000 + blocks))
    let cache = BitmapCache(blocks: blocks, bitmapBytes: bitmapBytes, capacity: capacity)
    var model = Model(capacity: min(capacity, blocks))
    // Slot 0 is the first one handed out: every slot's address is relative to it.
    let slab = cache.insert(0)
    #expect(model.insert(0) == 0)
    // A working set a little larger than the cache, sometimes a stride, sometimes anywhere.
    var hits = 0
    for step in 0..<20_000 {
      let block: Int
      switch rng.below(3) {
      case 0: block = rng.below(min(blocks, capacity + 3))
      case 1: block = (step * 64) % blocks
      default: block = rng.below(blocks)
      }
      if rng.below(2) == 0 {
        let got = cache.lookup(block).map { ($0 - slab) / bitmapBytes }
        let expected = model.lookup(block)
        #expect(got == expected, "step \(step): lookup \(block)")
        if got != nil { hits += 1 }
      } else {
        #expect(
          (cache.insert(block) - slab) / bitmapBytes == model.insert(block), "step \(step): insert \(block)")
      }
      #expect(cache.count == model.slotOfBlock.count)
    }
    #expect(hits > 0)
  }

  @Test func noCapacityCachesNothing() {
    let cache = BitmapCache(blocks: 10, bitmapBytes: 512, capacity: 0)
    #expect(cache.insert(3) == cache.readBuffer)
    #expect(cache.lookup(3) == nil)
    #expect(cache.count == 0)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// A per-image cache of block sector bitmaps, as tapdisk keeps one. Fixed capacity, CLOCK
/// (second-chance) replacement, one flat slab of bitmap bytes and a flat block→slot table, so a
/// lookup is two array reads and nothing is allocated after the first insert.
final class BitmapCache {
  let bitmapBytes: Int
  let capacity: Int
  private let blocks: Int
  /// Made at the first insert: many images are opened only for their metadata (a scan, a
  /// reparent), and filling a 50 GiB disk's table was a tenth of each such open.
  @exclusivity(unchecked) private var slotOfBlock: [Int32] = []
  @exclusivity(unchecked) private var blockOfSlot: [Int32]
  @exclusivity(unchecked) private var referenced: [Bool]
  private let slab: UnsafeMutableRawPointer
  /// Where a bitmap is read before it takes a slot (and, when capacity is 0, the slot itself).
  private let scratch: UnsafeMutableRawPointer
  @exclusivity(unchecked) private var hand = 0
  @exclusivity(unchecked) private var used = 0

  init(blocks: Int, bitmapBytes: Int, capacity requested: Int) {
    self.bitmapBytes = bitmapBytes
    capacity = max(0, min(requested, blocks))
    self.blocks = blocks
    blockOfSlot = Array(repeating: -1, count: capacity)
    referenced = Array(repeating: false, count: capacity)
    slab = .allocate(byteCount: max(1, capacity * bitmapBytes), alignment: 16)
    scratch = .allocate(byteCount: bitmapBytes, alignment: 16)
  }

  deinit {
    slab.deallocate()
    scratch.deallocate()
  }

  /// The buffer a bitmap is read into before `insert` (one bitmap long).
  var readBuffer: UnsafeMutableRawPointer { scratch }

  /// The cached bitmap of `block`, or nil.
  @inline(__always)
  func lookup(_ block: Int) -> UnsafeMutableRawPointer? {
    // Nothing inserted yet (or no capacity): the table may not exist.
    guard used > 0 else { return nil }
    let s = Int(slotOfBlock[block])
    if s < 0 { return nil }
    referenced[s] = true
    return slab + s * bitmapBytes
  }

  /// A slot for `block`'s bitmap (evicting another block's if full). The caller fills it.
  func insert(_ block: Int) -> UnsafeMutableRawPointer {
    guard capacity > 0 else { return scratch }
    if let p = lookup(block) { return p }
    if slotOfBlock.isEmpty { slotOfBlock = Array(repeating: -1, count: blocks) }
    let s: Int
    if used < capacity {
      s = used
      used += 1
    } else {
      while referenced[hand] {
        referenced[hand] = false
        hand = (hand + 1) % capacity
      }
      s = hand
      hand = (hand + 1) % capacity
      slotOfBlock[Int(blockOfSlot[s])] = -1
    }
    blockOfSlot[s] = Int32(block)
    slotOfBlock[block] = Int32(s)
    referenced[s] = true
    return slab + s * bitmapBytes
  }

  /// Forgets every cached bitmap (after the file changed underneath, e.g. reopen).
  func invalidateAll() {
    for s in 0..<used { slotOfBlock[Int(blockOfSlot[s])] = -1 }
    for s in 0..<capacity {
      blockOfSlot[s] = -1
      referenced[s] = false
    }
    used = 0
    hand = 0
  }

  var count: Int { used }
}

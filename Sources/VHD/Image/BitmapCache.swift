// SPDX-License-Identifier: GPL-3.0-or-later

/// A per-image cache of block sector bitmaps, as tapdisk keeps one. Fixed capacity, CLOCK
/// (second-chance) replacement, one flat slab of bitmap bytes, and a block→slot hash table of
/// twice the capacity, so nothing is allocated after `init`.
///
/// Why a hash table: tapdisk's cache holds 32 bitmaps, and a flat table over every block (25,600
/// for a 50 GiB disk) had to be filled for each image before its first bitmap (1.5 % of a fleet
/// run's instructions, opens being frequent) and spread the lookups over 100 KiB; this one is
/// 64 entries. Linear probing with backward-shift deletion, so evictions leave no tombstones.
final class BitmapCache {
  let bitmapBytes: Int
  let capacity: Int
  /// Block of each table entry, or `empty`; the slot it maps to in `slotOfEntry`.
  @exclusivity(unchecked) private var blockOfEntry: [Int32]
  @exclusivity(unchecked) private var slotOfEntry: [Int32]
  /// Table entries − 1 (a power of two minus one) and the shift that maps a hash to an entry.
  private let mask: Int
  private let shift: UInt32
  @exclusivity(unchecked) private var blockOfSlot: [Int32]
  @exclusivity(unchecked) private var referenced: [Bool]
  private let slab: UnsafeMutableRawPointer
  /// Where a bitmap is read before it takes a slot (and, when capacity is 0, the slot itself).
  private let scratch: UnsafeMutableRawPointer
  @exclusivity(unchecked) private var hand = 0
  @exclusivity(unchecked) private var used = 0
  private static let empty: Int32 = -1

  init(blocks: Int, bitmapBytes: Int, capacity requested: Int) {
    self.bitmapBytes = bitmapBytes
    capacity = max(0, min(requested, blocks))
    var bits: UInt32 = 1
    while 1 << bits < 2 * capacity { bits += 1 }
    mask = 1 << bits - 1
    shift = 32 - bits
    blockOfEntry = Array(repeating: Self.empty, count: mask + 1)
    slotOfEntry = Array(repeating: 0, count: mask + 1)
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
    guard used > 0 else { return nil }
    guard let e = entry(of: block) else { return nil }
    let s = Int(slotOfEntry[e])
    referenced[s] = true
    return slab + s * bitmapBytes
  }

  /// A slot for `block`'s bitmap (evicting another block's if full). The caller fills it.
  func insert(_ block: Int) -> UnsafeMutableRawPointer {
    guard capacity > 0 else { return scratch }
    if let p = lookup(block) { return p }
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
      remove(Int(blockOfSlot[s]))
    }
    blockOfSlot[s] = Int32(block)
    var e = home(block)
    while blockOfEntry[e] != Self.empty { e = (e + 1) & mask }
    blockOfEntry[e] = Int32(block)
    slotOfEntry[e] = Int32(s)
    referenced[s] = true
    return slab + s * bitmapBytes
  }

  var count: Int { used }

  /// Fibonacci hashing: consecutive and strided blocks spread over the table alike.
  @inline(__always)
  private func home(_ block: Int) -> Int {
    Int((UInt32(truncatingIfNeeded: block) &* 0x9E37_79B9) >> shift) & mask
  }

  @inline(__always)
  private func entry(of block: Int) -> Int? {
    var e = home(block)
    while true {
      let b = blockOfEntry[e]
      if b == Int32(truncatingIfNeeded: block) { return e }
      if b == Self.empty { return nil }
      e = (e + 1) & mask
    }
  }

  /// Deletes `block`'s entry and moves later entries of its probe run back into the gap, so every
  /// remaining block is still found from its home entry without crossing an empty one.
  private func remove(_ block: Int) {
    guard var gap = entry(of: block) else { return }
    var e = gap
    while true {
      e = (e + 1) & mask
      let b = blockOfEntry[e]
      if b == Self.empty { break }
      // Move the entry at e into the gap unless its home lies cyclically in (gap, e].
      let h = home(Int(b))
      let homeAfterGap = gap <= e ? (gap < h && h <= e) : (gap < h || h <= e)
      if !homeAfterGap {
        blockOfEntry[gap] = b
        slotOfEntry[gap] = slotOfEntry[e]
        gap = e
      }
    }
    blockOfEntry[gap] = Self.empty
  }
}

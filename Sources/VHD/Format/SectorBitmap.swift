// SPDX-License-Identifier: GPL-3.0-or-later

/// Bit operations on VHD bitmaps (block sector bitmaps and the BATmap). Bit n lives in byte n>>3
/// and the most significant bit is the lowest index (docs/vhd-format.md#bitmap-bit-order). Loading
/// 8 bytes as a big-endian u64 keeps that order: sector k of a word is bit 63 − k, which lets the
/// engine combine bitmaps 64 sectors at a time.
public enum SectorBitmap {
  @inline(__always)
  public static func test(_ p: UnsafeRawPointer, _ n: Int) -> Bool {
    p.load(fromByteOffset: n >> 3, as: UInt8.self) & (0x80 >> UInt8(n & 7)) != 0
  }

  @inline(__always)
  public static func set(_ p: UnsafeMutableRawPointer, _ n: Int) {
    let b = p.load(fromByteOffset: n >> 3, as: UInt8.self)
    p.storeBytes(of: b | (0x80 >> UInt8(n & 7)), toByteOffset: n >> 3, as: UInt8.self)
  }

  @inline(__always)
  public static func clear(_ p: UnsafeMutableRawPointer, _ n: Int) {
    let b = p.load(fromByteOffset: n >> 3, as: UInt8.self)
    p.storeBytes(of: b & ~(0x80 >> UInt8(n & 7)), toByteOffset: n >> 3, as: UInt8.self)
  }

  /// Word `w` (64 bits, MSB = lowest index) of a bitmap.
  @inline(__always)
  public static func word(_ p: UnsafeRawPointer, _ w: Int) -> UInt64 {
    UInt64(bigEndian: p.loadUnaligned(fromByteOffset: w &* 8, as: UInt64.self))
  }

  @inline(__always)
  public static func storeWord(_ p: UnsafeMutableRawPointer, _ w: Int, _ value: UInt64) {
    p.storeBytes(of: value.bigEndian, toByteOffset: w &* 8, as: UInt64.self)
  }

  /// The mask of bits [lo, hi) inside word `w` (indices are bitmap-wide).
  @inline(__always)
  public static func mask(word w: Int, lo: Int, hi: Int) -> UInt64 {
    let start = max(lo - w * 64, 0)
    let end = min(hi - w * 64, 64)
    if start >= end { return 0 }
    let width = end - start
    let ones: UInt64 = width == 64 ? ~0 : ((1 << UInt64(width)) - 1)
    return ones << UInt64(64 - end)
  }

  /// Sets bits [lo, hi). Returns true if any bit changed.
  @discardableResult
  public static func setRange(_ p: UnsafeMutableRawPointer, _ lo: Int, _ hi: Int) -> Bool {
    guard lo < hi else { return false }
    var changed = false
    // Whole bytes in the middle; bit-wise at the edges (bitmaps need not be 8-byte sized).
    var n = lo
    while n < hi && n & 7 != 0 {
      if !test(p, n) {
        set(p, n)
        changed = true
      }
      n += 1
    }
    // Whole 8-byte words where the run is long (a whole block's bitmap: 64 words, not 512 bytes).
    while n + 64 <= hi {
      if p.loadUnaligned(fromByteOffset: n >> 3, as: UInt64.self) != ~0 {
        p.storeBytes(of: ~0 as UInt64, toByteOffset: n >> 3, as: UInt64.self)
        changed = true
      }
      n += 64
    }
    while n + 8 <= hi {
      let b = p.load(fromByteOffset: n >> 3, as: UInt8.self)
      if b != 0xFF {
        p.storeBytes(of: 0xFF as UInt8, toByteOffset: n >> 3, as: UInt8.self)
        changed = true
      }
      n += 8
    }
    while n < hi {
      if !test(p, n) {
        set(p, n)
        changed = true
      }
      n += 1
    }
    return changed
  }

  /// Whether bits [lo, hi) are all set.
  public static func allSet(_ p: UnsafeRawPointer, _ lo: Int, _ hi: Int) -> Bool {
    var n = lo
    while n < hi && n & 7 != 0 {
      if !test(p, n) { return false }
      n += 1
    }
    while n + 64 <= hi {
      if p.loadUnaligned(fromByteOffset: n >> 3, as: UInt64.self) != ~0 { return false }
      n += 64
    }
    while n + 8 <= hi {
      if p.load(fromByteOffset: n >> 3, as: UInt8.self) != 0xFF { return false }
      n += 8
    }
    while n < hi {
      if !test(p, n) { return false }
      n += 1
    }
    return true
  }

  /// The first index in [lo, hi) whose bit is set, or `hi` when none is: 64 bits at a time, since a
  /// coalesce or a copy walks a 4,096-sector bitmap run by run.
  public static func nextSet(_ p: UnsafeRawPointer, from lo: Int, below hi: Int) -> Int {
    nextBit(p, from: lo, below: hi, flip: 0)
  }

  /// The first index in [lo, hi) whose bit is clear, or `hi` when none is.
  public static func nextClear(_ p: UnsafeRawPointer, from lo: Int, below hi: Int) -> Int {
    nextBit(p, from: lo, below: hi, flip: ~0)
  }

  /// The first index in [lo, hi) whose bit XOR `flip` is 1. Whole words are read only where all
  /// their 64 bits lie below `hi`, so nothing past the bitmap's last byte is touched.
  @inline(__always)
  private static func nextBit(_ p: UnsafeRawPointer, from lo: Int, below hi: Int, flip: UInt64) -> Int {
    var n = lo
    let wantSet = flip == 0
    while n < hi && n & 63 != 0 {
      if test(p, n) == wantSet { return n }
      n += 1
    }
    while n + 64 <= hi {
      let w = word(p, n >> 6) ^ flip
      if w != 0 { return n + w.leadingZeroBitCount }
      n += 64
    }
    while n < hi {
      if test(p, n) == wantSet { return n }
      n += 1
    }
    return hi
  }

  /// Number of set bits in [0, count).
  public static func popcount(_ p: UnsafeRawPointer, count: Int) -> Int {
    var total = 0
    var n = 0
    while n + 8 <= count {
      total += p.load(fromByteOffset: n >> 3, as: UInt8.self).nonzeroBitCount
      n += 8
    }
    while n < count {
      if test(p, n) { total += 1 }
      n += 1
    }
    return total
  }
}

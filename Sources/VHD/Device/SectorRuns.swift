// SPDX-License-Identifier: GPL-3.0-or-later

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A 512-byte sector whose 4,096 bits (MSB first in each byte, as VHD bitmaps are) form at most two
/// runs of ones, packed into one negative word: how `SectorStore` keeps such sectors without bytes.
///
/// Why: a VHD block's bitmap sector is all ones when the block is fully written, all zeros when
/// just allocated, and one or two runs after one or two contiguous guest writes; a BAT sector of
/// unallocated entries is all ones. Layout: bit 63 set (negative, unlike an arena slot), the runs
/// as a `BitRunPair` below it.
enum SectorRuns {
  static let bits = BitRunPair.bits
  static let zeros = Int64(bitPattern: 1 << 63)

  /// The code of the 512 bytes at `bytes`, or nil when they hold more than two runs.
  static func code(of bytes: UnsafeRawPointer) -> Int64? {
    var runs = BitRunPair()
    var carry: UInt64 = 0
    for index in 0..<(bits >> 6) {
      let word = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: index << 3, as: UInt64.self))
      var changes = word ^ (word >> 1 | carry << 63)
      carry = word & 1
      while changes != 0 {
        let lead = changes.leadingZeroBitCount
        guard runs.addEdge(at: index << 6 + lead) else { return nil }
        changes &= ~(1 << UInt64(63 - lead))
      }
    }
    if carry != 0 {
      guard runs.addEdge(at: bits) else { return nil }
    }
    return zeros | Int64(runs.code)
  }

  /// Writes the 512 bytes `code` stands for at `bytes`.
  static func decode(_ code: Int64, into bytes: UnsafeMutableRawPointer) {
    DeviceSupport.zero(bytes, bits >> 3)
    BitRunPair.forEachRun(in: UInt64(bitPattern: code)) { first, end in setBits(bytes, from: first, to: end) }
  }

  /// Copies `count` bytes from `offset` of the sector `code` stands for to `destination`.
  static func copy(_ code: Int64, from offset: Int, count: Int, to destination: UnsafeMutableRawPointer) {
    if offset == 0 && count == bits >> 3 {
      decode(code, into: destination)
      return
    }
    withUnsafeTemporaryAllocation(byteCount: bits >> 3, alignment: 8) { sector in
      decode(code, into: sector.baseAddress!)
      destination.copyMemory(from: sector.baseAddress! + offset, byteCount: count)
    }
  }

  /// Sets bits `[from, to)`, MSB first in each byte.
  private static func setBits(_ bytes: UnsafeMutableRawPointer, from: Int, to: Int) {
    var bit = from
    while bit < to {
      if bit & 7 == 0 && to - bit >= 8 {
        let whole = (to - bit) >> 3
        _ = memset(bytes + (bit >> 3), 0xFF, whole)
        bit += whole << 3
      } else {
        let byte = bytes.load(fromByteOffset: bit >> 3, as: UInt8.self)
        bytes.storeBytes(of: byte | 0x80 >> (bit & 7), toByteOffset: bit >> 3, as: UInt8.self)
        bit += 1
      }
    }
  }
}

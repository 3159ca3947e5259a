// SPDX-License-Identifier: GPL-3.0-or-later

/// A stored 512-byte sector kept as a `RunListCode` (a settled file's bitmap of a few dozen runs),
/// and how `SectorStore` names it in a `Slot`: bit 49 set, the code's class at bits 32-33, its slot
/// in that class's arena below bit 32. Still non-negative (a `SectorRuns` code is negative) and
/// within `PackedSector`'s 50 payload bits; an arena slot is below 2³¹, so never has bit 49.
///
/// Why: a day's level keeps tens of thousands of block bitmaps of 20–60 runs, each a 512-byte slot,
/// about half of what a settled level costs; their edges code in about one byte each. The sector
/// is read as 64 little-endian words (byte `8w + k` is bits `8k ..< 8k + 8` of word `w`), so the
/// whole-byte runs of a VHD bitmap stay runs; the code's extra word is 0.
enum CodedSector {
  static let flag: Int64 = 1 << 49
  private static let classShift: Int64 = 32
  static let words = 64

  /// Whether `slot` names a run-list code.
  @inline(__always)
  static func isCoded(_ slot: Int64) -> Bool { slot >= 0 && slot & flag != 0 }

  @inline(__always)
  static func slot(sizeClass: Int, slot: Int32) -> Int64 {
    flag | Int64(sizeClass) << classShift | Int64(slot)
  }

  @inline(__always)
  static func sizeClass(_ slot: Int64) -> Int { Int(slot >> classShift & 3) }

  @inline(__always)
  static func arenaSlot(_ slot: Int64) -> Int32 { Int32(truncatingIfNeeded: slot) }

  /// Codes the 512 bytes at `bytes` into `buffer` (`RunListCode.maximumBytes`), using `scratch` (65
  /// words); the class it fits, or nil when it does not.
  static func encode(
    _ bytes: UnsafeRawPointer, scratch: UnsafeMutablePointer<UInt64>, into buffer: UnsafeMutableRawPointer
  ) -> Int? {
    for index in 0..<words {
      scratch[index] = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index << 3, as: UInt64.self))
    }
    scratch[words] = 0
    return RunListCode.encode(scratch, into: buffer)
  }

  /// Copies `count` bytes from `offset` of the sector `code` stands for to `destination`, decoding
  /// into `scratch` (65 words).
  static func copy(
    _ code: UnsafeRawPointer, from offset: Int, count: Int, to destination: UnsafeMutableRawPointer,
    scratch: UnsafeMutablePointer<UInt64>
  ) {
    RunListCode.decode(code, into: scratch)
    let first = offset >> 3
    let end = (offset + count + 7) >> 3
    for index in first..<end { scratch[index] = scratch[index].littleEndian }
    destination.copyMemory(from: UnsafeRawPointer(scratch) + offset, byteCount: count)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Fixed-size slots carved out of chunks (1 MiB unless asked otherwise), with a free list: the
/// storage behind the in-memory devices. One allocation per chunk instead of one per slot keeps the
/// hot path free of `malloc`, and chunks never move, so a slot's pointer stays valid until the slot
/// is released.
final class SlotArena {
  /// Bytes per chunk unless the owner asks for smaller ones.
  static let defaultChunkBytes = 1 << 20
  /// Bytes per chunk for stores that hold little in most files (the metadata-only device's), so a
  /// file's first slot costs 16 KiB of heap, not 1 MiB that the allocator recycles dirty.
  static let smallChunkBytes = 16 << 10

  /// Bytes per slot.
  let slotSize: Int
  /// Bytes per chunk obtained from the system.
  let chunkBytes: Int
  private let slotsPerChunk: Int
  private var chunks: [UnsafeMutableRawPointer] = []
  private var freeSlots: [Int32] = []
  /// Slots at and above this index have never been handed out.
  private var nextFresh = 0
  /// Slots currently handed out.
  private(set) var slotsInUse = 0

  init(slotSize: Int, chunkBytes: Int = SlotArena.defaultChunkBytes) {
    precondition(slotSize > 0 && slotSize <= chunkBytes)
    self.slotSize = slotSize
    self.chunkBytes = chunkBytes
    self.slotsPerChunk = chunkBytes / slotSize
  }

  deinit {
    for chunk in chunks { chunk.deallocate() }
  }

  /// Hands out a slot, zero-filled when `zeroed` (callers that overwrite the whole slot skip it).
  func allocate(zeroed: Bool) -> Int32 {
    let slot: Int32
    if let reused = freeSlots.popLast() {
      slot = reused
    } else {
      if nextFresh == chunks.count * slotsPerChunk {
        // malloc's own alignment: a chunk aligned beyond it is carved from a larger block, and
        // the hole a released one leaves is too small for the next, so freed memory stayed unused.
        chunks.append(.allocate(byteCount: chunkBytes, alignment: 16))
      }
      precondition(nextFresh < Int(Int32.max), "SlotArena: too many slots")
      slot = Int32(nextFresh)
      nextFresh += 1
    }
    slotsInUse += 1
    if zeroed { DeviceSupport.zero(pointer(slot), slotSize) }
    return slot
  }

  /// Returns a slot to the free list.
  func release(_ slot: Int32) {
    freeSlots.append(slot)
    slotsInUse -= 1
  }

  /// Gives every chunk back to the system; only legal when no slot is in use.
  func releaseAllIfEmpty() {
    guard slotsInUse == 0, !chunks.isEmpty else { return }
    for chunk in chunks { chunk.deallocate() }
    chunks.removeAll()
    freeSlots.removeAll()
    nextFresh = 0
  }

  /// The memory of a slot.
  @inline(__always)
  func pointer(_ slot: Int32) -> UnsafeMutableRawPointer {
    let index = Int(slot)
    return chunks[index / slotsPerChunk] + (index % slotsPerChunk) * slotSize
  }
}

/// Small helpers shared by the devices.
enum DeviceSupport {
  /// Zero-fills `count` bytes with `memset`, which stays fast in debug builds (the generic
  /// `initializeMemory(as:repeating:count:)` is an unspecialised element loop there).
  @inline(__always)
  static func zero(_ pointer: UnsafeMutableRawPointer, _ count: Int) {
    _ = memset(pointer, 0, count)
  }

  /// `offset + count`, or `DeviceError(.system(EFBIG))` when the range cannot be addressed.
  static func end(of offset: UInt64, count: UInt64, device: String, limit: UInt64 = UInt64(Int64.max))
    throws -> UInt64
  {
    let (end, overflow) = offset.addingReportingOverflow(count)
    guard !overflow, end <= limit else {
      throw DeviceError(.system(EFBIG), device: device, offset: offset, length: count)
    }
    return end
  }

  /// Throws `.readOnly` for writes through a read-only handle.
  static func checkWritable(_ writable: Bool, device: String, offset: UInt64, length: UInt64) throws {
    guard writable else { throw DeviceError(.readOnly, device: device, offset: offset, length: length) }
  }

  /// Validates a read of `count` bytes at `offset` against `length` and returns its end.
  static func readEnd(offset: UInt64, count: Int, length: UInt64, device: String) throws -> UInt64 {
    let end = try self.end(of: offset, count: UInt64(count), device: device)
    guard end <= length else {
      throw DeviceError(.shortRead, device: device, offset: offset, length: UInt64(count))
    }
    return end
  }

  /// Clamps `range` to `[0, length)`; nil when nothing is left.
  static func clamp(_ range: Range<UInt64>, to length: UInt64) -> Range<UInt64>? {
    let upper = min(range.upperBound, length)
    return range.lowerBound < upper ? range.lowerBound..<upper : nil
  }

  /// Appends `range` to sorted disjoint `ranges`, merging with the last one when they touch.
  static func appendMerging(_ range: Range<UInt64>, to ranges: inout [Range<UInt64>]) {
    guard !range.isEmpty else { return }
    if let last = ranges.last, last.upperBound >= range.lowerBound {
      ranges[ranges.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
    } else {
      ranges.append(range)
    }
  }
}

/// Bit operations over a little run of 64-bit words (bit `i` is bit `i & 63` of word `i >> 6`).
enum BitWords {
  /// Calls `body(word, mask)` for every word covering bits `[from, to)`, with the bits of the range.
  @inline(__always)
  static func forEachWord(from: Int, to: Int, _ body: (Int, UInt64) -> Void) {
    var bit = from
    while bit < to {
      let word = bit >> 6
      let low = bit & 63
      let high = min(to - (word << 6), 64)
      let upperMask: UInt64 = high == 64 ? ~0 : (1 << UInt64(high)) &- 1
      body(word, upperMask & ~((1 << UInt64(low)) &- 1))
      bit = (word + 1) << 6
    }
  }
}

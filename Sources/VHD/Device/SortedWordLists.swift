// SPDX-License-Identifier: GPL-3.0-or-later

/// Sorted lists of words, each in a buffer of its own, named by a small index that a free list
/// recycles: how `SectorStore` keeps the stored sectors of the few chunks that hold more than one.
///
/// Why: a chunk of a metadata-only file usually stores one sector (its block's bitmap, kept in the
/// chunk's map entry), a few chunks store several and chunk 0 up to thousands (header, BAT); a
/// sorted list costs 8 bytes a word (16 at most after doubling), finds a word by binary search and
/// walks a range in order. Buffers are allocated by hand, not Swift arrays, so a lookup retains and
/// copies nothing. Word 0 of a buffer holds the count (low 32 bits) and the capacity (high 32).
final class SortedWordLists {
  /// Capacity of a new list, and of a released one kept for reuse.
  private static let smallCapacity = 4
  private static let countMask: UInt64 = 0xFFFF_FFFF

  private var buffers: [UnsafeMutablePointer<UInt64>] = []
  private var freeLists: [Int32] = []

  deinit {
    for buffer in buffers { buffer.deallocate() }
  }

  /// Lists holding words.
  var listsInUse: Int { buffers.count - freeLists.count }

  /// A new list holding `first` and `second` (`first < second`).
  func make(_ first: UInt64, _ second: UInt64) -> Int32 {
    let list: Int32
    if let reused = freeLists.popLast() {
      list = reused
    } else {
      list = Int32(buffers.count)
      buffers.append(Self.allocate(capacity: Self.smallCapacity))
    }
    let buffer = buffers[Int(list)]
    buffer[0] = buffer[0] & ~Self.countMask | 2
    buffer[1] = first
    buffer[2] = second
    return list
  }

  /// Words in `list`.
  @inline(__always)
  func count(_ list: Int32) -> Int { Int(truncatingIfNeeded: buffers[Int(list)][0] & Self.countMask) }

  /// The words of `list`, valid until the next `insert`.
  @inline(__always)
  func words(_ list: Int32) -> UnsafeMutablePointer<UInt64> { buffers[Int(list)] + 1 }

  /// The position of the first word of `list` not below `key` (its count when there is none).
  @inline(__always)
  func lowerBound(_ list: Int32, _ key: UInt64) -> Int {
    let buffer = buffers[Int(list)]
    let words = buffer + 1
    var low = 0
    var high = Int(truncatingIfNeeded: buffer[0] & Self.countMask)
    while low < high {
      let middle = (low + high) >> 1
      if words[middle] < key { low = middle + 1 } else { high = middle }
    }
    return low
  }

  /// Inserts `word` at `position` (where `lowerBound` put it), doubling the buffer when full.
  func insert(_ word: UInt64, into list: Int32, at position: Int) {
    var buffer = buffers[Int(list)]
    let count = Int(truncatingIfNeeded: buffer[0] & Self.countMask)
    let capacity = Int(truncatingIfNeeded: buffer[0] >> 32)
    if count == capacity {
      let grown = Self.allocate(capacity: capacity * 2)
      grown[0] |= UInt64(count)
      (grown + 1).update(from: buffer + 1, count: count)
      buffer.deallocate()
      buffers[Int(list)] = grown
      buffer = grown
    }
    let words = buffer + 1
    (words + position + 1).moveInitialize(from: words + position, count: count - position)
    words[position] = word
    buffer[0] += 1
  }

  /// Removes the word at `position`.
  func remove(from list: Int32, at position: Int) {
    let buffer = buffers[Int(list)]
    let words = buffer + 1
    let count = Int(truncatingIfNeeded: buffer[0] & Self.countMask)
    (words + position).moveInitialize(from: words + position + 1, count: count - position - 1)
    buffer[0] -= 1
  }

  /// Empties `list` for reuse, shrinking a grown buffer back.
  func release(_ list: Int32) {
    let buffer = buffers[Int(list)]
    if Int(truncatingIfNeeded: buffer[0] >> 32) > Self.smallCapacity {
      buffer.deallocate()
      buffers[Int(list)] = Self.allocate(capacity: Self.smallCapacity)
    } else {
      buffer[0] &= ~Self.countMask
    }
    freeLists.append(list)
  }

  /// Frees every buffer; only legal when no list is in use.
  func releaseAll() {
    for buffer in buffers { buffer.deallocate() }
    buffers = []
    freeLists = []
  }

  private static func allocate(capacity: Int) -> UnsafeMutablePointer<UInt64> {
    let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity + 1)
    buffer[0] = UInt64(capacity) << 32
    return buffer
  }
}

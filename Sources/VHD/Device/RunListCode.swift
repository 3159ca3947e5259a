// SPDX-License-Identifier: GPL-3.0-or-later

/// 4,096 bits (64 words, bit `i & 63` of word `i >> 6`) and one extra word, kept as that word and
/// the positions where the bits change, each as its distance from the one before in LEB128 (one
/// byte below 128, two up to 4,096), in a slot of 32 to 256 bytes.
///
/// Why: at realistic write rates (tens of 4–64 KiB writes per block a simulated day) a chunk of a
/// metadata-only file holds 20 to 60 runs of data sectors: too many for a word (`CompactChunk`),
/// and as a 520-byte record they were half of what a kept level costs. Their edges code in about
/// one byte each.
///
/// Layout: the extra word (8 bytes), the number of edges (2 bytes), then the edges' distances.
enum RunListCode {
  /// Slot sizes, smallest first; an index into it is a code's class.
  static let classBytes = [32, 64, 128, 256]
  static let headerBytes = 10
  /// Bytes of the largest code.
  static let maximumBytes = 256
  static let bits = 4096

  /// Codes `words` (64 data words, then the extra word) into `buffer` (`maximumBytes` long);
  /// returns the smallest class it fits, or nil when its edges need more than the largest.
  static func encode(_ words: UnsafePointer<UInt64>, into buffer: UnsafeMutableRawPointer) -> Int? {
    buffer.storeBytes(of: words[64], toByteOffset: 0, as: UInt64.self)
    var at = headerBytes
    var edges = 0
    var previous = 0
    var carry: UInt64 = 0
    /// Appends the edge at `position`; false when it does not fit.
    func add(_ position: Int) -> Bool {
      var gap = position - previous
      previous = position
      edges += 1
      if gap < 128 {
        guard at < maximumBytes else { return false }
        buffer.storeBytes(of: UInt8(gap), toByteOffset: at, as: UInt8.self)
        at += 1
        return true
      }
      guard at + 2 <= maximumBytes else { return false }
      buffer.storeBytes(of: UInt8(gap & 127 | 128), toByteOffset: at, as: UInt8.self)
      gap >>= 7
      buffer.storeBytes(of: UInt8(gap), toByteOffset: at + 1, as: UInt8.self)
      at += 2
      return true
    }
    for index in 0..<64 {
      let word = words[index]
      var changes = word ^ (word << 1 | carry)
      carry = word >> 63
      while changes != 0 {
        guard add(index << 6 + changes.trailingZeroBitCount) else { return nil }
        changes &= changes &- 1
      }
    }
    if carry != 0 {
      guard add(bits) else { return nil }
    }
    buffer.storeBytes(of: UInt16(edges), toByteOffset: 8, as: UInt16.self)
    return classBytes.firstIndex { at <= $0 }
  }

  /// The extra word of the code at `code`.
  @inline(__always)
  static func extraWord(_ code: UnsafeRawPointer) -> UInt64 {
    code.loadUnaligned(as: UInt64.self)
  }

  /// Calls `body(first, end)` for each run of set bits, in order.
  static func forEachRun(_ code: UnsafeRawPointer, _ body: (Int, Int) -> Void) {
    let edges = Int(code.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
    var at = headerBytes
    var position = 0
    var first = 0
    for edge in 0..<edges {
      var gap = Int(code.load(fromByteOffset: at, as: UInt8.self))
      at += 1
      if gap >= 128 {
        gap = gap & 127 | Int(code.load(fromByteOffset: at, as: UInt8.self)) << 7
        at += 1
      }
      position += gap
      if edge & 1 == 0 { first = position } else { body(first, position) }
    }
  }

  /// Writes the 65 words the code stands for into `words`.
  static func decode(_ code: UnsafeRawPointer, into words: UnsafeMutablePointer<UInt64>) {
    DeviceSupport.zero(words, 65 * 8)
    forEachRun(code) { first, end in
      BitWords.forEachWord(from: first, to: end) { word, mask in words[word] |= mask }
    }
    words[64] = extraWord(code)
  }
}

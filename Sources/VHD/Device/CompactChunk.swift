// SPDX-License-Identifier: GPL-3.0-or-later

/// The state of one 2 MiB chunk of a metadata-only file packed into a single word, when it is
/// simple enough: at most two runs of data sectors and at most one 64-sector group flagged as
/// possibly holding stored metadata.
///
/// Why: a VHD data block is its 512-byte bitmap sector followed by 2 MiB of data, so a fully
/// written block leaves each chunk it touches with data runs on either side of one bitmap sector,
/// and a base disk is thousands of such chunks. As a 65-word record (`ChunkTable`) each costs
/// 520 bytes; packed, it costs the 8 bytes of its table entry.
///
/// Layout: bit 63 set (which tells it from a record slot); the data runs as a `BitRunPair` in bits
/// 0-49; the flagged group at bits 50-55, valid when bit 56 is set.
struct CompactChunk: Equatable {
  static let flag: UInt64 = 1 << 63
  private static let groupShift: UInt64 = 50
  private static let groupPresent: UInt64 = 1 << 56

  let raw: UInt64

  init(raw: UInt64) {
    self.raw = raw
  }

  /// Packs `words` (a chunk record: data words, then the summary word); nil when they do not fit.
  /// One pass over the words finds the run edges (bits that differ from the one below).
  init?(packing words: UnsafePointer<UInt64>) {
    let summary = words[ChunkTable.summaryWord]
    guard summary & (summary &- 1) == 0 else { return nil }
    var runs = BitRunPair()
    var carry: UInt64 = 0
    for index in 0..<ChunkTable.dataWords {
      let word = words[index]
      var changes = word ^ (word << 1 | carry)
      carry = word >> 63
      while changes != 0 {
        guard runs.addEdge(at: index << 6 + changes.trailingZeroBitCount) else { return nil }
        changes &= changes &- 1
      }
    }
    if carry != 0 {
      guard runs.addEdge(at: BitRunPair.bits) else { return nil }
    }
    var raw = Self.flag | runs.code
    if summary != 0 {
      raw |= Self.groupPresent | UInt64(summary.trailingZeroBitCount) << Self.groupShift
    }
    self.raw = raw
  }

  /// The summary word of the record this stands for.
  var summary: UInt64 {
    raw & Self.groupPresent == 0 ? 0 : 1 << (raw >> Self.groupShift & 63)
  }

  /// True when the chunk holds no data sector and flags no group: it needs no entry at all.
  var isEmpty: Bool { raw == Self.flag }

  /// Writes the chunk record this word stands for into `words`.
  func unpack(into words: UnsafeMutablePointer<UInt64>) {
    DeviceSupport.zero(words, ChunkTable.recordWords * 8)
    BitRunPair.forEachRun(in: raw) { first, end in
      BitWords.forEachWord(from: first, to: end) { word, mask in words[word] |= mask }
    }
    words[ChunkTable.summaryWord] = summary
  }
}

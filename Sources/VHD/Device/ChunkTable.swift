// SPDX-License-Identifier: GPL-3.0-or-later

/// The per-chunk state of a metadata-only file: for each 2 MiB chunk that holds anything, which of
/// its 4,096 sectors hold data and which 64-sector groups may hold stored metadata.
///
/// Callers see every chunk as a record of 65 words (64 words of data bits, bit `i & 63` of word
/// `i >> 6` for chunk-local sector `i`, then the summary word whose bit `g` flags group `g`). A
/// chunk simple enough to pack (`CompactChunk`: most of them, see there) lives in its table entry
/// and is unpacked into a scratch record on access; only the others keep a record in the arena.
/// A caller that changes a record hands it back with `store`, which packs it again when it fits
/// (and drops it when it holds nothing).
final class ChunkTable {
  static let sectorsPerChunk = 4096
  static let dataWords = sectorsPerChunk >> 6
  static let summaryWord = dataWords
  static let recordWords = dataWords + 1

  /// Records of the chunks that do not pack.
  private let records = SlotArena(slotSize: ChunkTable.recordWords * 8, chunkBytes: SlotArena.smallChunkBytes)
  /// Chunk index → a `CompactChunk` word (bit 63 set) or a slot in `records` plus one (0: nothing).
  private let entries = ChunkEntryMap()
  /// Where packed chunks are unpacked; valid until the next access.
  private let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: ChunkTable.recordWords)
  /// The chunk last handed out and its entry then, so `store` need not look it up again.
  private var openChunk = UInt64.max
  private var openEntry: UInt64 = 0

  deinit {
    scratch.deallocate()
  }

  /// Chunks stored as full records (the rest are packed in their entries).
  var recordCount: Int { records.slotsInUse }

  /// Chunks holding anything.
  var count: Int { entries.count }

  /// The record of `chunk`, or nil when it holds nothing. A packed chunk's record is the scratch
  /// one, valid until the next call on this table.
  func words(_ chunk: UInt64) -> UnsafeMutablePointer<UInt64>? {
    let entry = open(chunk)
    return entry == 0 ? nil : record(entry)
  }

  /// The record of `chunk`, an empty scratch one when it holds nothing yet.
  func wordsCreating(_ chunk: UInt64) -> UnsafeMutablePointer<UInt64> {
    let entry = open(chunk)
    guard entry != 0 else {
      DeviceSupport.zero(scratch, Self.recordWords * 8)
      return scratch
    }
    return record(entry)
  }

  /// The summary word of `chunk` (without unpacking it), or nil when it holds nothing.
  func summary(_ chunk: UInt64) -> UInt64? {
    let entry = entries[chunk]
    guard entry != 0 else { return nil }
    return entry & CompactChunk.flag != 0 ? CompactChunk(raw: entry).summary : record(entry)[Self.summaryWord]
  }

  /// When every chunk-local sector in `[from, to)` of `chunk` holds data, the chunk's summary
  /// word; nil otherwise. Reads a packed chunk without unpacking it.
  func summaryIfAllData(_ chunk: UInt64, from: Int, to: Int) -> UInt64? {
    let entry = entries[chunk]
    guard entry != 0 else { return nil }
    if entry & CompactChunk.flag != 0 {
      var covered = false
      BitRunPair.forEachRun(in: entry) { first, end in covered = covered || (first <= from && to <= end) }
      return covered ? CompactChunk(raw: entry).summary : nil
    }
    let words = record(entry)
    var full = true
    BitWords.forEachWord(from: from, to: to) { word, mask in full = full && words[word] & mask == mask }
    return full ? words[Self.summaryWord] : nil
  }

  /// Keeps `words` as the state of `chunk` after a change: packed when it fits (releasing its
  /// arena record), dropped when it holds nothing, else in an arena record.
  func store(_ chunk: UInt64, _ words: UnsafeMutablePointer<UInt64>) {
    let entry = chunk == openChunk ? openEntry : entries[chunk]
    openChunk = .max
    let slot = entry != 0 && entry & CompactChunk.flag == 0 ? Int32(entry - 1) : nil
    if let packed = CompactChunk(packing: words) {
      if let slot { records.release(slot) }
      let newEntry = packed.isEmpty ? 0 : packed.raw
      if entry != newEntry { entries.set(chunk, newEntry) }
      return
    }
    if slot != nil { return }  // Changed in place.
    let newSlot = records.allocate(zeroed: false)
    records.pointer(newSlot).copyMemory(from: words, byteCount: Self.recordWords * 8)
    entries.set(chunk, UInt64(newSlot) + 1)
  }

  /// Calls `body` with each chunk in `chunks` that holds anything, in ascending order, visiting
  /// only the table's pages that exist. `body` may `store`.
  func forEach(in chunks: ClosedRange<UInt64>, _ body: (UInt64, UnsafeMutablePointer<UInt64>) -> Void) {
    entries.forEach(in: chunks) { chunk, _ in
      if let words = words(chunk) { body(chunk, words) }
    }
  }

  /// Gives the arena's and the table's memory back when nothing is left.
  func releaseAllIfEmpty() {
    records.releaseAllIfEmpty()
    if entries.count == 0 { entries.releasePages() }
  }

  /// Looks `chunk` up (0: nothing) and remembers the answer for `store`.
  private func open(_ chunk: UInt64) -> UInt64 {
    openChunk = chunk
    openEntry = entries[chunk]
    return openEntry
  }

  private func record(_ entry: UInt64) -> UnsafeMutablePointer<UInt64> {
    if entry & CompactChunk.flag != 0 {
      CompactChunk(raw: entry).unpack(into: scratch)
      return scratch
    }
    return records.pointer(Int32(entry - 1)).assumingMemoryBound(to: UInt64.self)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// The per-chunk state of a metadata-only file: for each 2 MiB chunk that holds anything, which of
/// its 4,096 sectors hold data and which 64-sector groups may hold stored metadata.
///
/// Callers see every chunk as a record of 65 words (64 words of data bits, bit `i & 63` of word
/// `i >> 6` for chunk-local sector `i`, then the summary word whose bit `g` flags group `g`). A
/// chunk simple enough to pack (`CompactChunk`: most of them, see there) lives in its table entry
/// and is unpacked into a scratch record on access; the others keep a record in the arena, changed
/// in place, until the file settles (`settle`: a snapshot's new parent), when those of a few dozen
/// runs are coded into small slots (`RunListCode`) and decoded on access like packed ones. A caller
/// that changes a record hands it back with `store`, which packs (or codes again) what fits, and
/// drops what holds nothing.
final class ChunkTable {
  static let sectorsPerChunk = 4096
  static let dataWords = sectorsPerChunk >> 6
  static let summaryWord = dataWords
  static let recordWords = dataWords + 1

  /// Records of the chunks that neither pack nor code.
  // Unchecked exclusivity here and below: a storage and its devices are used from one thread at
  // a time, and every device I/O reads these (checked accesses cost more than the lookups).
  @exclusivity(unchecked) private var records = SlotArena(
    slotSize: ChunkTable.recordWords * 8, chunkBytes: SlotArena.smallChunkBytes)
  /// Run-list codes, one arena per size class of `RunListCode`.
  private let codes = RunListCode.classBytes.map {
    SlotArena(slotSize: $0, chunkBytes: SlotArena.smallChunkBytes)
  }
  /// Chunk index → a `CompactChunk` word (bit 63 set), a run-list code (bit 62 set, its class at
  /// bits 56-57 and its slot below bit 32), or a slot in `records` plus one (0: nothing).
  private let entries = ChunkEntryMap()
  /// Where a code is built before it is known to fit.
  private let codeBuffer = UnsafeMutableRawPointer.allocate(byteCount: RunListCode.maximumBytes, alignment: 8)
  private static let codeFlag: UInt64 = 1 << 62
  private static let classShift: UInt64 = 56
  /// Where packed chunks are unpacked; valid until the next access.
  private let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: ChunkTable.recordWords)
  /// The chunk last handed out and its entry then, so `store` need not look it up again.
  @exclusivity(unchecked) private var openChunk = UInt64.max
  @exclusivity(unchecked) private var openEntry: UInt64 = 0

  deinit {
    scratch.deallocate()
    codeBuffer.deallocate()
  }

  /// Chunks kept outside their entries: as full records or as run-list codes.
  var recordCount: Int { records.slotsInUse + codes.reduce(0) { $0 + $1.slotsInUse } }

  /// Bytes the records and codes take (slots in use).
  var recordBytes: Int {
    records.slotsInUse * Self.recordWords * 8
      + zip(codes, RunListCode.classBytes).reduce(0) { $0 + $1.0.slotsInUse * $1.1 }
  }

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
    if entry & CompactChunk.flag != 0 { return CompactChunk(raw: entry).summary }
    if entry & Self.codeFlag != 0 { return RunListCode.extraWord(code(entry)) }
    return record(entry)[Self.summaryWord]
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
    if entry & Self.codeFlag != 0 {
      var covered = false
      RunListCode.forEachRun(code(entry)) { first, end in covered = covered || (first <= from && to <= end) }
      return covered ? RunListCode.extraWord(code(entry)) : nil
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
    if let packed = CompactChunk(packing: words) {
      release(entry)
      let newEntry = packed.isEmpty ? 0 : packed.raw
      if entry != newEntry { entries.set(chunk, newEntry) }
      return
    }
    if entry & Self.codeFlag != 0 {
      if let sizeClass = RunListCode.encode(words, into: codeBuffer) {
        keepCode(chunk, entry: entry, sizeClass: sizeClass)
        return
      }
    } else if entry != 0 && entry & CompactChunk.flag == 0 {
      return  // Changed in place.
    }
    release(entry)
    let newSlot = records.allocate(zeroed: false)
    records.pointer(newSlot).copyMemory(from: words, byteCount: Self.recordWords * 8)
    entries.set(chunk, UInt64(newSlot) + 1)
  }

  /// Codes every full record that fits a run-list code (`MetadataBacking.settle`): a file that
  /// will rarely change again keeps its chunks of a few dozen runs in 32–256 bytes instead of
  /// 520. Later changes to a coded chunk decode and code it again.
  func settle() {
    var remaining: [UInt64] = []
    entries.forEach(in: 0...(UInt64.max >> MetadataBacking.chunkShift)) { chunk, entry in
      guard entry & (CompactChunk.flag | Self.codeFlag) == 0 else { return }
      if let sizeClass = RunListCode.encode(record(entry), into: codeBuffer) {
        keepCode(chunk, entry: entry, sizeClass: sizeClass)
      } else {
        remaining.append(chunk)
      }
    }
    // The records left move to an arena of their own, so the memory of the coded ones goes back
    // (an arena keeps released slots for the same file, which will not need them).
    let arena = SlotArena(slotSize: Self.recordWords * 8, chunkBytes: SlotArena.smallChunkBytes)
    for chunk in remaining {
      let slot = arena.allocate(zeroed: false)
      arena.pointer(slot).copyMemory(
        from: records.pointer(Int32(entries[chunk] - 1)), byteCount: Self.recordWords * 8)
      entries.set(chunk, UInt64(slot) + 1)
    }
    records = arena
    openChunk = .max
  }

  /// Makes the code in `codeBuffer` the state of `chunk`, whose entry was `entry`: in place when
  /// it was a code of the same class, else in a new slot (releasing the old one).
  private func keepCode(_ chunk: UInt64, entry: UInt64, sizeClass: Int) {
    let slot: Int32
    if entry & Self.codeFlag != 0 && Int(entry >> Self.classShift & 3) == sizeClass {
      slot = Int32(truncatingIfNeeded: entry)
    } else {
      release(entry)
      slot = codes[sizeClass].allocate(zeroed: false)
      entries.set(chunk, Self.codeFlag | UInt64(sizeClass) << Self.classShift | UInt64(UInt32(slot)))
    }
    codes[sizeClass].pointer(slot).copyMemory(from: codeBuffer, byteCount: RunListCode.classBytes[sizeClass])
  }

  /// Gives back the slot `entry` keeps its chunk in, if any (the caller replaces the entry).
  private func release(_ entry: UInt64) {
    if entry == 0 || entry & CompactChunk.flag != 0 { return }
    if entry & Self.codeFlag != 0 {
      codes[Int(entry >> Self.classShift & 3)].release(Int32(truncatingIfNeeded: entry))
    } else {
      records.release(Int32(entry - 1))
    }
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
    for arena in codes { arena.releaseAllIfEmpty() }
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
    if entry & Self.codeFlag != 0 {
      RunListCode.decode(code(entry), into: scratch)
      return scratch
    }
    return records.pointer(Int32(entry - 1)).assumingMemoryBound(to: UInt64.self)
  }

  /// The code an entry with `codeFlag` points to.
  private func code(_ entry: UInt64) -> UnsafeRawPointer {
    UnsafeRawPointer(codes[Int(entry >> Self.classShift & 3)].pointer(Int32(truncatingIfNeeded: entry)))
  }
}

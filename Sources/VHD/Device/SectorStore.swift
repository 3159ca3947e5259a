// SPDX-License-Identifier: GPL-3.0-or-later

/// The stored metadata sectors of a metadata-only file: sector index → its 512 bytes.
///
/// A sector whose bits form at most two runs of ones (`SectorRuns`: all ones, all zeros, the bitmap
/// of a block written once or twice) keeps no bytes of its own: its entry holds the run code
/// instead of an arena slot, and the first write that breaks the pattern gives it a slot (copy on
/// write), which it gives back when its bytes fall into a pattern again. Why: most stored sectors
/// of a large chain are bitmaps of fully written blocks and BAT sectors of unallocated entries,
/// both all ones.
///
/// When the file settles (`settle`: a snapshot's new parent), a sector with a slot whose bits form a
/// few dozen runs (a block bitmap after tens of guest writes) is coded into 32–256 bytes
/// (`CodedSector`, `RunListCode`) and decoded on read; a write or zeroing gives it a slot again
/// (copy on write), and a later `settle` may code it again.
///
/// Sectors are found by their 2 MiB chunk (the `ChunkTable`'s chunks) through a `ChunkEntryMap`,
/// not a hash: every bitmap read and write, footer write and zeroing looks sectors up, and hashing
/// them cost several per cent of a fleet run. A chunk's entry is its one stored sector packed
/// (`PackedSector`, bit 63 set), which is what most chunks hold (the bitmap of the block crossing
/// it), or the index plus one of a sorted list of its packed sectors (`SortedWordLists`: chunk 0's
/// header and BAT, a footer beside a bitmap). Either costs at most 16 bytes a sector, plus the
/// map's pages of 4 KiB per 512 chunks, which the file's `ChunkTable` has for the same chunks.
final class SectorStore {
  static let size = 512

  /// Where a stored sector's bytes are: an arena slot (below 2³¹), a run-list code
  /// (`CodedSector`: bit 49 set) or a `SectorRuns` code (negative).
  typealias Slot = Int64

  /// Sectors per occupancy group: one bit each in a group's mask.
  static let groupShift: UInt64 = 6
  /// Sectors per chunk, as a shift (4,096: 2 MiB).
  private static let chunkShift = UInt64(ChunkTable.sectorsPerChunk.trailingZeroBitCount)
  private static let localMask = UInt64(ChunkTable.sectorsPerChunk - 1)
  /// Set in a chunk entry that is a packed sector rather than a list index plus one.
  private static let packed: UInt64 = 1 << 63

  /// The sectors' own bytes; replaced by a packed copy on `settle` (unchecked: the hot paths
  /// read it, and only `settle` assigns it, outside any access).
  @exclusivity(unchecked) private var arena = SlotArena(
    slotSize: SectorStore.size, chunkBytes: SlotArena.smallChunkBytes)
  /// Run-list codes of settled sectors, one arena per size class of `RunListCode`.
  private let codes = RunListCode.classBytes.map {
    SlotArena(slotSize: $0, chunkBytes: SlotArena.smallChunkBytes)
  }
  /// Where a sector is coded or decoded (65 words), and a code built before it is known to fit.
  private let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: CodedSector.words + 1)
  private let codeBuffer = UnsafeMutableRawPointer.allocate(byteCount: RunListCode.maximumBytes, alignment: 8)
  /// Chunk → its packed sector (bit 63 set) or the index of its list plus one.
  private let chunks = ChunkEntryMap()
  /// The packed sectors, in order, of chunks that store more than one.
  private let lists = SortedWordLists()

  /// Sectors stored.
  @exclusivity(unchecked) private(set) var count = 0

  deinit {
    scratch.deallocate()
    codeBuffer.deallocate()
  }

  /// Sectors stored in a 512-byte slot of their own (neither a run code nor a run-list code).
  var ownedCount: Int { arena.slotsInUse }

  /// Sectors stored as run-list codes (since a `settle`).
  var codedCount: Int { codes.reduce(0) { $0 + $1.slotsInUse } }

  /// Bytes the sectors' slots and run-list codes take (slots in use).
  var bytes: Int {
    arena.slotsInUse * Self.size
      + zip(codes, RunListCode.classBytes).reduce(0) { $0 + $1.0.slotsInUse * $1.1 }
  }

  /// Where `sector`'s bytes are, or nil when it is not stored.
  func slot(_ sector: UInt64) -> Slot? {
    let place = find(sector)
    return place.found ? place.sector.slot : nil
  }

  /// Which sectors of group `group` (sectors `64 * group ..< 64 * group + 64`) are stored.
  func storedMask(group: UInt64) -> UInt64 {
    let entry = chunks[group >> (Self.chunkShift - Self.groupShift)]
    guard entry != 0 else { return 0 }
    let first = Int(truncatingIfNeeded: group << Self.groupShift & Self.localMask)
    if entry & Self.packed != 0 {
      let local = PackedSector(raw: entry).local
      return local >> Self.groupShift == first >> Self.groupShift ? 1 << UInt64(local & 63) : 0
    }
    let list = Int32(truncatingIfNeeded: entry - 1)
    let words = lists.words(list)
    let count = lists.count(list)
    var position = lists.lowerBound(list, PackedSector.first(of: first))
    var mask: UInt64 = 0
    while position < count {
      let local = PackedSector(raw: words[position]).local
      guard local - first < 64 else { break }
      mask |= 1 << UInt64(local - first)
      position += 1
    }
    return mask
  }

  /// Copies `count` bytes from `offset` within a stored sector to `destination`.
  func copy(_ slot: Slot, from offset: Int, count: Int, to destination: UnsafeMutableRawPointer) {
    if slot < 0 {
      SectorRuns.copy(slot, from: offset, count: count, to: destination)
    } else if CodedSector.isCoded(slot) {
      CodedSector.copy(code(slot), from: offset, count: count, to: destination, scratch: scratch)
    } else {
      destination.copyMemory(from: arena.pointer(Int32(slot)) + offset, byteCount: count)
    }
  }

  /// Writes `count` bytes from `source` at `offset` within `sector`, storing the sector (the rest
  /// zero) if it was not.
  func write(_ sector: UInt64, _ source: UnsafeRawPointer, at offset: Int, count: Int) {
    let place = find(sector)
    let existing = place.found ? place.sector.slot : nil
    if count == Self.size, let code = SectorRuns.code(of: source) {
      if let existing { release(existing) }
      set(sector, code, at: place)
      return
    }
    let slot = owned(existing, overwritten: count == Self.size)
    (arena.pointer(slot) + offset).copyMemory(from: source, byteCount: count)
    set(sector, settled(slot), at: place)
  }

  /// Zeroes `count` bytes from `offset` within a stored sector (part of it: whole sectors are
  /// `remove`d).
  func zero(_ sector: UInt64, _ slot: Slot, from offset: Int, count: Int) {
    guard slot != SectorRuns.zeros else { return }
    let owned = owned(slot, overwritten: false)
    DeviceSupport.zero(arena.pointer(owned) + offset, count)
    let newSlot = settled(owned)
    if newSlot != slot { set(sector, newSlot, at: find(sector)) }
  }

  /// Forgets a stored sector.
  func remove(_ sector: UInt64, _ slot: Slot) {
    let place = find(sector)
    guard place.found else { return }
    count -= 1
    let chunk = sector >> Self.chunkShift
    if place.entry & Self.packed != 0 {
      chunks.set(chunk, 0)
    } else {
      let list = Int32(truncatingIfNeeded: place.entry - 1)
      lists.remove(from: list, at: place.position)
      if lists.count(list) == 1 {
        chunks.set(chunk, lists.words(list)[0] | Self.packed)
        lists.release(list)
      }
    }
    release(slot)
  }

  /// Codes every sector with a slot of its own whose bits fit a run-list code, and moves the
  /// slots left to a fresh arena: a file that will rarely change again keeps its bitmaps of a few
  /// dozen runs in 32–256 bytes instead of 512, and the memory of the coded ones goes back (an
  /// arena keeps released slots for the same file, which will not need them).
  func settle() {
    let fresh = SlotArena(slotSize: Self.size, chunkBytes: SlotArena.smallChunkBytes)
    /// Where the sector in `slot` goes: a code, a slot of `fresh`, or where it was.
    func moved(_ slot: Slot) -> Slot {
      guard slot >= 0, !CodedSector.isCoded(slot) else { return slot }
      let bytes = UnsafeRawPointer(arena.pointer(Int32(slot)))
      if let sizeClass = CodedSector.encode(bytes, scratch: scratch, into: codeBuffer) {
        let codeSlot = codes[sizeClass].allocate(zeroed: false)
        codes[sizeClass].pointer(codeSlot).copyMemory(
          from: codeBuffer, byteCount: RunListCode.classBytes[sizeClass])
        return CodedSector.slot(sizeClass: sizeClass, slot: codeSlot)
      }
      let newSlot = fresh.allocate(zeroed: false)
      fresh.pointer(newSlot).copyMemory(from: bytes, byteCount: Self.size)
      return Slot(newSlot)
    }
    chunks.forEach(in: 0...(UInt64.max >> Self.chunkShift)) { chunk, entry in
      if entry & Self.packed != 0 {
        let sector = PackedSector(raw: entry & ~Self.packed)
        let word = PackedSector(local: sector.local, slot: moved(sector.slot)).raw
        if word != sector.raw { chunks.set(chunk, word | Self.packed) }
        return
      }
      let list = Int32(truncatingIfNeeded: entry - 1)
      let words = lists.words(list)
      for position in 0..<lists.count(list) {
        let sector = PackedSector(raw: words[position])
        // Same index, so the list stays sorted.
        words[position] = PackedSector(local: sector.local, slot: moved(sector.slot)).raw
      }
    }
    arena = fresh
  }

  /// Gives the arena's, the lists' and the map's memory back when no sector owns bytes (the map's
  /// and the lists' only when no sector is stored).
  func releaseAllIfEmpty() {
    arena.releaseAllIfEmpty()
    for codeArena in codes { codeArena.releaseAllIfEmpty() }
    if count == 0 {
      chunks.releasePages()
      lists.releaseAll()
    }
  }

  /// Where a sector is or would go: its chunk's entry, its packed form when `found`, and in a list
  /// its position (or the insertion point).
  private struct Place {
    var entry: UInt64
    var position = 0
    var sector = PackedSector(raw: 0)
    var found = false
  }

  @inline(__always)
  private func find(_ sector: UInt64) -> Place {
    let entry = chunks[sector >> Self.chunkShift]
    var place = Place(entry: entry)
    guard entry != 0 else { return place }
    let local = Int(truncatingIfNeeded: sector & Self.localMask)
    if entry & Self.packed != 0 {
      place.sector = PackedSector(raw: entry & ~Self.packed)
      place.found = place.sector.local == local
      return place
    }
    let list = Int32(truncatingIfNeeded: entry - 1)
    place.position = lists.lowerBound(list, PackedSector.first(of: local))
    if place.position < lists.count(list) {
      place.sector = PackedSector(raw: lists.words(list)[place.position])
      place.found = place.sector.local == local
    }
    return place
  }

  /// Records `slot` as `sector`'s bytes, where `find` placed it.
  private func set(_ sector: UInt64, _ slot: Slot, at place: Place) {
    let chunk = sector >> Self.chunkShift
    let word = PackedSector(local: Int(truncatingIfNeeded: sector & Self.localMask), slot: slot).raw
    if place.entry == 0 || (place.found && place.entry & Self.packed != 0) {
      // Alone in its chunk, or the chunk's one sector again.
      chunks.set(chunk, word | Self.packed)
    } else if place.entry & Self.packed != 0 {
      // Beside the chunk's one sector: both go to a new list.
      let other = place.entry & ~Self.packed
      chunks.set(chunk, UInt64(lists.make(min(word, other), max(word, other))) + 1)
    } else if place.found {
      lists.words(Int32(truncatingIfNeeded: place.entry - 1))[place.position] = word
      return
    } else {
      lists.insert(word, into: Int32(truncatingIfNeeded: place.entry - 1), at: place.position)
    }
    if !place.found { count += 1 }
  }

  /// A slot of the sector's own holding its current bytes (zeros when it was not stored), unless
  /// the caller is about to overwrite all of them.
  private func owned(_ existing: Slot?, overwritten: Bool) -> Int32 {
    if let existing, existing >= 0, !CodedSector.isCoded(existing) { return Int32(existing) }
    let slot = arena.allocate(zeroed: false)
    if let existing, CodedSector.isCoded(existing) {
      if !overwritten {
        CodedSector.copy(code(existing), from: 0, count: Self.size, to: arena.pointer(slot), scratch: scratch)
      }
      release(existing)
    } else if !overwritten {
      SectorRuns.decode(existing ?? SectorRuns.zeros, into: arena.pointer(slot))
    }
    return slot
  }

  /// Gives back the slot or code slot `slot` holds, if any (the caller replaces or drops it).
  private func release(_ slot: Slot) {
    if slot < 0 { return }
    if CodedSector.isCoded(slot) {
      codes[CodedSector.sizeClass(slot)].release(CodedSector.arenaSlot(slot))
    } else {
      arena.release(Int32(slot))
    }
  }

  /// The run-list code `slot` names.
  private func code(_ slot: Slot) -> UnsafeRawPointer {
    UnsafeRawPointer(codes[CodedSector.sizeClass(slot)].pointer(CodedSector.arenaSlot(slot)))
  }

  /// `slot`, or the run code its bytes turned into (releasing the slot).
  private func settled(_ slot: Int32) -> Slot {
    guard let code = SectorRuns.code(of: UnsafeRawPointer(arena.pointer(slot))) else { return Slot(slot) }
    arena.release(slot)
    return code
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// The state of one metadata-only "file": the bytes of its metadata sectors and a map of which
/// sectors hold data. Shared by every handle on the file (see `MetadataOnlyDevice`).
///
/// Layout: stored sectors are kept by a `SectorStore` (all-ones and all-zero sectors as patterns,
/// without bytes). The file is cut into 2 MiB chunks, each with a record in a `ChunkTable`: one
/// data bit per sector, and a summary word whose bit `g` says sectors `64g..<64g+64` of the chunk
/// may hold stored metadata, so a data write checks the sector store only where metadata can be.
/// Most records pack into their table entry (`CompactChunk`).
final class MetadataBacking: DeviceBacking {
  static let sectorShift: UInt64 = 9
  static let sectorSize: UInt64 = 1 << sectorShift
  static let chunkShift: UInt64 = 21
  static let sectorsPerChunk = ChunkTable.sectorsPerChunk
  static let groupShift = 6
  static let dataWords = ChunkTable.dataWords
  static let summaryWord = ChunkTable.summaryWord
  /// Largest length accepted: anything addressable (the maps are sparse).
  static let maximumLength = UInt64(Int64.max)

  /// Stored metadata sectors.
  private let stored = SectorStore()
  /// Chunk records (data bits and metadata summary).
  private let table = ChunkTable()
  /// Sectors whose data bit is set.
  // Unchecked exclusivity here and below: a storage and its devices are used from one thread at
  // a time, and every device I/O reads these (checked accesses cost more than the lookups).
  @exclusivity(unchecked) private(set) var dataSectorCount = 0
  /// File size: the furthest write or the last truncate.
  @exclusivity(unchecked) private(set) var length: UInt64 = 0
  /// Modification time stamped by the owning storage's logical clock; nil for standalone devices.
  @exclusivity(unchecked) var fileTime: LogicalFileTime?
  @exclusivity(unchecked) var parsedImage = ParsedImageCache()

  /// Bytes of stored metadata sectors.
  var metadataBytes: UInt64 { UInt64(stored.count) << Self.sectorShift }

  /// What the file's state takes: chunks, those kept outside their entries (full records or
  /// run-list codes), stored sectors, and those in a 512-byte slot of their own (not coded: see
  /// `sectorBytes`), for tests and memory accounting.
  var footprint: (chunks: Int, records: Int, sectors: Int, ownedSectors: Int) {
    (table.count, table.recordCount, stored.count, stored.ownedCount)
  }

  /// Bytes the chunks kept outside their entries take (full records and run-list codes).
  var recordBytes: Int { table.recordBytes }

  /// Bytes the stored sectors' slots and run-list codes take.
  var sectorBytes: Int { stored.bytes }

  /// Codes the chunk records and the stored sectors that fit a run-list code (`ChunkTable.settle`,
  /// `SectorStore.settle`).
  func settle() {
    table.settle()
    stored.settle()
  }

  // MARK: Records

  /// Forgets the summary bits of groups that no longer hold a stored sector, once the chunk holds
  /// no data (summary bits are hints that can outlive their sectors), so `store` can drop it.
  private func pruneSummary(_ chunk: UInt64, _ words: UnsafeMutablePointer<UInt64>) {
    for word in 0..<Self.dataWords where words[word] != 0 { return }
    var summary = words[Self.summaryWord]
    let firstSector = chunk << (Self.chunkShift - Self.sectorShift)
    for group in 0..<64 where summary & (1 << UInt64(group)) != 0 {
      let groupSector = firstSector + UInt64(group << Self.groupShift)
      if stored.storedMask(group: groupSector >> SectorStore.groupShift) != 0 { break }
      summary &= ~(1 << UInt64(group))
    }
    words[Self.summaryWord] = summary
  }

  /// The chunks that `[offset, end)` touches (`end > offset`).
  private static func chunks(_ offset: UInt64, _ end: UInt64) -> ClosedRange<UInt64> {
    (offset >> chunkShift)...((end - 1) >> chunkShift)
  }

  /// Chunk-local sector range touched by `[offset, end)` within `chunk`, and that part's bytes.
  private static func localSectors(_ chunk: UInt64, _ offset: UInt64, _ end: UInt64)
    -> (from: Int, to: Int, lower: UInt64, upper: UInt64)
  {
    let chunkStart = chunk << chunkShift
    let lower = max(offset, chunkStart)
    let upper = min(end, chunkStart + (1 << chunkShift))
    let first = Int((lower - chunkStart) >> sectorShift)
    let last = Int((upper - 1 - chunkStart) >> sectorShift)
    return (first, last + 1, lower, upper)
  }

  /// Chunk-local sectors lying wholly within `[lower, upper)` (inside the chunk at `chunkStart`).
  private static func wholeSectors(_ chunkStart: UInt64, _ lower: UInt64, _ upper: UInt64) -> Range<Int> {
    let from = Int((lower - chunkStart + sectorSize - 1) >> sectorShift)
    let to = Int((upper - chunkStart) >> sectorShift)
    return from..<max(from, to)
  }

  // MARK: Stored sectors

  /// Calls `body(sector, slot)` for each stored sector among the chunk-local sectors `[from, to)`.
  /// Clears the summary bit of every group lying wholly within `dropped`: the caller promises
  /// `body` drops every stored sector there.
  private func forEachStoredSector(
    chunk: UInt64, summary: inout UInt64, from: Int, to: Int, dropped: Range<Int> = 0..<0,
    _ body: (UInt64, SectorStore.Slot) -> Void
  ) {
    guard summary != 0 else { return }
    let firstGroup = from >> Self.groupShift
    let lastGroup = (to - 1) >> Self.groupShift
    for group in firstGroup...lastGroup where summary & (1 << UInt64(group)) != 0 {
      let groupStart = group << Self.groupShift
      let groupEnd = groupStart + (1 << Self.groupShift)
      let groupFirstSector = (chunk << (Self.chunkShift - Self.sectorShift)) + UInt64(groupStart)
      var mask = stored.storedMask(group: groupFirstSector >> SectorStore.groupShift)
      // Only the sectors of [from, to) within the group.
      let lo = max(from, groupStart) - groupStart
      let hi = min(to, groupEnd) - groupStart
      mask &= (hi == 64 ? ~0 : (1 << UInt64(hi)) - 1) & ~((1 << UInt64(lo)) - 1)
      while mask != 0 {
        let sector = groupFirstSector + UInt64(mask.trailingZeroBitCount)
        mask &= mask - 1
        if let slot = stored.slot(sector) { body(sector, slot) }
      }
      if dropped.lowerBound <= groupStart && groupEnd <= dropped.upperBound {
        summary &= ~(1 << UInt64(group))
      }
    }
  }

  /// True when a stored sector lies among the chunk-local sectors `[from, to)` (only the groups
  /// `summary` flags are looked at).
  private func holdsStoredSector(chunk: UInt64, summary: UInt64, from: Int, to: Int) -> Bool {
    var found = false
    var flags = summary
    forEachStoredSector(chunk: chunk, summary: &flags, from: from, to: to) { _, _ in found = true }
    return found
  }

  /// Makes the stored metadata bytes within `[lower, upper)` (inside one chunk) read as zero:
  /// sectors wholly inside are dropped, partial ones zeroed in place. Returns whether the record
  /// or a stored sector changed.
  @discardableResult
  private func clearStored(
    chunk: UInt64, words: UnsafeMutablePointer<UInt64>, from: Int, to: Int, lower: UInt64, upper: UInt64
  ) -> Bool {
    let chunkStart = chunk << Self.chunkShift
    let whole = Self.wholeSectors(chunkStart, lower, upper)
    let summary = words[Self.summaryWord]
    var cleared = false
    forEachStoredSector(chunk: chunk, summary: &words[Self.summaryWord], from: from, to: to, dropped: whole) {
      sector, slot in
      cleared = true
      let sectorStart = sector << Self.sectorShift
      let zeroFrom = max(lower, sectorStart)
      let zeroTo = min(upper, sectorStart + Self.sectorSize)
      if zeroFrom == sectorStart && zeroTo == sectorStart + Self.sectorSize {
        stored.remove(sector, slot)
      } else {
        stored.zero(sector, slot, from: Int(zeroFrom - sectorStart), count: Int(zeroTo - zeroFrom))
      }
    }
    return cleared || words[Self.summaryWord] != summary
  }

  // MARK: I/O

  /// Data writes record sectors, every other kind stores bytes.
  func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64, end: UInt64, kind: IOKind) {
    if kind == .data {
      writeData(from: offset, to: end)
    } else {
      writeMetadata(buffer, at: offset, end: end)
    }
  }

  /// Fills `buffer` from `offset`: stored metadata bytes where there are some, zeros elsewhere
  /// (data included). The caller has checked the range.
  /// Copies the stored metadata bytes in range into `buffer`. Other bytes read as zeros, except
  /// for a read of kind `.data`: data is not kept, so such a read leaves them as the buffer had
  /// them (zeroing megabytes nobody looks at was most of a coalesce's cost).
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, kind: IOKind) {
    guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
    if kind != .data { DeviceSupport.zero(base, buffer.count) }
    let end = offset + UInt64(buffer.count)
    for chunk in Self.chunks(offset, end) {
      guard var summary = table.summary(chunk), summary != 0 else { continue }
      let local = Self.localSectors(chunk, offset, end)
      forEachStoredSector(chunk: chunk, summary: &summary, from: local.from, to: local.to) {
        sector, slot in
        let sectorStart = sector << Self.sectorShift
        let from = max(offset, sectorStart)
        let to = min(end, sectorStart + Self.sectorSize)
        stored.copy(slot, from: Int(from - sectorStart), count: Int(to - from), to: base + Int(from - offset))
      }
    }
  }

  /// Stores the bytes of a non-data write. Sectors it covers wholly stop counting as data.
  func writeMetadata(_ buffer: UnsafeRawBufferPointer, at offset: UInt64, end: UInt64) {
    guard let base = buffer.baseAddress, end > offset else { return }
    for chunk in Self.chunks(offset, end) {
      let words = table.wordsCreating(chunk)
      let part = Self.localSectors(chunk, offset, end)
      var position = part.lower
      while position < part.upper {
        let sector = position >> Self.sectorShift
        let inSector = position & (Self.sectorSize - 1)
        let count = min(Self.sectorSize - inSector, part.upper - position)
        let local = Int(sector & UInt64(Self.sectorsPerChunk - 1))
        stored.write(sector, base + Int(position - offset), at: Int(inSector), count: Int(count))
        words[Self.summaryWord] |= 1 << UInt64(local >> Self.groupShift)
        let bit: UInt64 = 1 << UInt64(local & 63)
        if count == Self.sectorSize && words[local >> 6] & bit != 0 {
          words[local >> 6] &= ~bit
          dataSectorCount -= 1
        }
        position += count
      }
      table.store(chunk, words)
    }
    length = max(length, end)
    fileTime?.touch()
  }

  /// Records a data write of `[offset, end)`: marks its sectors as data and makes any stored
  /// metadata there read as zero. Allocates only when a chunk needs a full record.
  func writeData(from offset: UInt64, to end: UInt64) {
    guard end > offset else { return }
    for chunk in Self.chunks(offset, end) {
      let local = Self.localSectors(chunk, offset, end)
      // Rewriting sectors that already hold data and no stored bytes changes nothing (epoch
      // resolution does it for every block a later interval touches again).
      if let summary = table.summaryIfAllData(chunk, from: local.from, to: local.to),
        !holdsStoredSector(chunk: chunk, summary: summary, from: local.from, to: local.to)
      {
        continue
      }
      let words = table.wordsCreating(chunk)
      markData(
        chunk: chunk, words: words, from: local.from, to: local.to, lower: local.lower, upper: local.upper)
      table.store(chunk, words)
    }
    length = max(length, end)
    fileTime?.touch()
  }

  /// Marks chunk-local sectors `[from, to)` of `chunk` (its record `words`) as data and makes the
  /// stored metadata bytes within `[lower, upper)` read as zero. Returns whether anything changed.
  @discardableResult
  private func markData(
    chunk: UInt64, words: UnsafeMutablePointer<UInt64>, from: Int, to: Int, lower: UInt64, upper: UInt64
  ) -> Bool {
    var changed =
      words[Self.summaryWord] != 0
      && clearStored(chunk: chunk, words: words, from: from, to: to, lower: lower, upper: upper)
    BitWords.forEachWord(from: from, to: to) { word, bits in
      let new = bits & ~words[word]
      guard new != 0 else { return }
      dataSectorCount += new.nonzeroBitCount
      words[word] |= new
      changed = true
    }
    return changed
  }

  /// Records data writes over each run of set bits in `mask` (`count` bits, each word's most
  /// significant bit first, as in a VHD sector bitmap), bit `i` standing for sector
  /// `firstSector + i`: the state one `writeData` per run leaves, with one record update per chunk
  /// instead of one per run (epoch resolution marks a block's tens of written pieces at once).
  /// The caller has checked the range.
  func writeData(runsOf mask: UnsafePointer<UInt64>, count: Int, firstSector: UInt64) {
    let chunkSectorsShift = Self.chunkShift - Self.sectorShift
    var end: UInt64 = 0
    var bit = 0
    while bit < count {
      let sector = firstSector + UInt64(bit)
      let chunk = sector >> chunkSectorsShift
      let chunkFirst = chunk << chunkSectorsShift
      let upto = min(count, bit + Int(chunkFirst + UInt64(Self.sectorsPerChunk) - sector))
      defer { bit = upto }
      guard BitRuns.next(true, in: mask, from: bit, to: upto, order: .msbFirst) < upto else { continue }
      // Chunk-local sector of mask bit i: i + shift.
      let shift = Int(sector - chunkFirst) - bit
      let words = table.wordsCreating(chunk)
      var changed = false
      var last = -1
      BitRuns.forEach(in: mask, from: bit, to: upto, order: .msbFirst) { s, e in
        last = e + shift
        let lower = (chunkFirst + UInt64(s + shift)) << Self.sectorShift
        let upper = (chunkFirst + UInt64(last)) << Self.sectorShift
        if markData(chunk: chunk, words: words, from: s + shift, to: last, lower: lower, upper: upper) {
          changed = true
        }
      }
      if last >= 0 { end = (chunkFirst + UInt64(last)) << Self.sectorShift }
      // Sectors that already held data and no stored bytes: nothing to keep (epoch resolution
      // touches most blocks again in every later interval).
      if changed { table.store(chunk, words) }
    }
    guard end > 0 else { return }
    length = max(length, end)
    fileTime?.touch()
  }

  /// Makes `[offset, end)` read as zeros, like a punched hole: stored metadata there is dropped or
  /// zeroed, and sectors wholly inside stop counting as data. Extends the length past `end`.
  func writeZeros(from offset: UInt64, to end: UInt64) {
    clear(from: offset, to: end)
    length = max(length, end)
    fileTime?.touch()
  }

  private func clear(from offset: UInt64, to end: UInt64) {
    guard end > offset else { return }
    table.forEach(in: Self.chunks(offset, end)) { chunk, words in
      let local = Self.localSectors(chunk, offset, end)
      clearStored(
        chunk: chunk, words: words, from: local.from, to: local.to, lower: local.lower, upper: local.upper)
      // Data bits only for the sectors wholly inside the range.
      let whole = Self.wholeSectors(chunk << Self.chunkShift, local.lower, local.upper)
      BitWords.forEachWord(from: whole.lowerBound, to: whole.upperBound) { word, mask in
        dataSectorCount -= (mask & words[word]).nonzeroBitCount
        words[word] &= ~mask
      }
      pruneSummary(chunk, words)
      table.store(chunk, words)
    }
  }

  /// Sets the length; shrinking forgets everything past the new end.
  func truncate(to newLength: UInt64) {
    if newLength < length {
      let sectorEnd = (length + Self.sectorSize - 1) & ~(Self.sectorSize - 1)
      clear(from: newLength, to: sectorEnd)
      table.releaseAllIfEmpty()
      stored.releaseAllIfEmpty()
    }
    length = newLength
    fileTime?.touch()
  }

  // MARK: Queries

  /// Sector runs within `range` that hold stored metadata or data, clamped to the length.
  func dataRegions(in range: Range<UInt64>) -> [Range<UInt64>] {
    guard let wanted = DeviceSupport.clamp(range, to: length) else { return [] }
    return runs(in: wanted, includeMetadata: true)
  }

  /// Sector runs written as data, clamped to the length.
  func writtenDataRanges() -> [Range<UInt64>] {
    guard length > 0 else { return [] }
    return runs(in: 0..<length, includeMetadata: false)
  }

  private func runs(in wanted: Range<UInt64>, includeMetadata: Bool) -> [Range<UInt64>] {
    var regions: [Range<UInt64>] = []
    var bits = [UInt64](repeating: 0, count: Self.dataWords)
    table.forEach(in: Self.chunks(wanted.lowerBound, wanted.upperBound)) { chunk, words in
      let local = Self.localSectors(chunk, wanted.lowerBound, wanted.upperBound)
      for word in 0..<Self.dataWords { bits[word] = words[word] }
      if includeMetadata {
        forEachStoredSector(chunk: chunk, summary: &words[Self.summaryWord], from: local.from, to: local.to) {
          sector, _ in
          let index = Int(sector & UInt64(Self.sectorsPerChunk - 1))
          bits[index >> 6] |= 1 << UInt64(index & 63)
        }
      }
      let chunkStart = chunk << Self.chunkShift
      bits.withUnsafeBufferPointer { bitWords in
        BitRuns.forEach(in: bitWords.baseAddress!, from: local.from, to: local.to, order: .lsbFirst) {
          start, end in
          let lower = max(wanted.lowerBound, chunkStart + (UInt64(start) << Self.sectorShift))
          let upper = min(wanted.upperBound, chunkStart + (UInt64(end) << Self.sectorShift))
          DeviceSupport.appendMerging(lower..<upper, to: &regions)
        }
      }
    }
    return regions
  }
}

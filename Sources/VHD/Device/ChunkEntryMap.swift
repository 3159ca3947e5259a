// SPDX-License-Identifier: GPL-3.0-or-later

/// A map from chunk index to a non-zero 64-bit entry, kept in pages of 512 consecutive chunks (4 KiB,
/// allocated on first use) instead of a hash table.
///
/// Why: a metadata-only file's chunks are dense from offset 0 to its end (a VHD grows by appending
/// blocks), and every data write, read and scan looks its chunks up. Hashing each index was the
/// largest single cost of applying bulk writes at epoch resolution; a page lookup is two loads.
/// Pages for the first `directPages` pages (1 TiB of file) sit in an array indexed by page; pages
/// further out, which only tests and odd files reach, in a dictionary.
final class ChunkEntryMap {
  static let pageShift: UInt64 = 9
  static let pageEntries = 1 << pageShift
  /// Pages addressed through the array (512 × 2 MiB each: the first 1 TiB of a file).
  static let directPages: UInt64 = 1 << 10

  // Unchecked exclusivity here and below: a storage and its devices are used from one thread at
  // a time, and every device I/O reads these (checked accesses cost more than the lookups).
  @exclusivity(unchecked) private var direct: [UnsafeMutablePointer<UInt64>?] = []
  @exclusivity(unchecked) private var far: [UInt64: UnsafeMutablePointer<UInt64>] = [:]
  /// Chunks with an entry.
  @exclusivity(unchecked) private(set) var count = 0

  deinit {
    releasePages()
  }

  /// The entry of `chunk`, 0 when it has none.
  @inline(__always)
  subscript(chunk: UInt64) -> UInt64 {
    guard let page = page(chunk >> Self.pageShift) else { return 0 }
    return page[Int(chunk & UInt64(Self.pageEntries - 1))]
  }

  /// Sets the entry of `chunk`; 0 removes it.
  func set(_ chunk: UInt64, _ entry: UInt64) {
    let index = chunk >> Self.pageShift
    guard let page = page(index) ?? (entry == 0 ? nil : makePage(index)) else { return }
    let slot = Int(chunk & UInt64(Self.pageEntries - 1))
    count += (entry != 0 ? 1 : 0) - (page[slot] != 0 ? 1 : 0)
    page[slot] = entry
  }

  /// Calls `body(chunk, entry)` for each chunk in `chunks` with an entry, in ascending order;
  /// `body` may change entries of chunks it has been given.
  func forEach(in chunks: ClosedRange<UInt64>, _ body: (UInt64, UInt64) -> Void) {
    let first = chunks.lowerBound >> Self.pageShift
    let last = chunks.upperBound >> Self.pageShift
    let directLast = min(last, UInt64(direct.count) &- 1)
    if !direct.isEmpty && first <= directLast {
      for index in first...directLast { visit(page: index, chunks, body) }
    }
    if !far.isEmpty {
      for index in far.keys.filter({ first <= $0 && $0 <= last }).sorted() {
        visit(page: index, chunks, body)
      }
    }
  }

  /// Frees every page (only once no chunk has an entry, or on the way out).
  func releasePages() {
    for page in direct { page?.deallocate() }
    for page in far.values { page.deallocate() }
    direct = []
    far = [:]
    count = 0
  }

  private func visit(page index: UInt64, _ chunks: ClosedRange<UInt64>, _ body: (UInt64, UInt64) -> Void) {
    guard let page = page(index) else { return }
    let base = index << Self.pageShift
    let from = Int(max(chunks.lowerBound, base) - base)
    let to = Int(min(chunks.upperBound, base + UInt64(Self.pageEntries - 1)) - base)
    for slot in from...to where page[slot] != 0 { body(base + UInt64(slot), page[slot]) }
  }

  @inline(__always)
  private func page(_ index: UInt64) -> UnsafeMutablePointer<UInt64>? {
    if index < UInt64(direct.count) { return direct[Int(index)] }
    return index < Self.directPages ? nil : far[index]
  }

  private func makePage(_ index: UInt64) -> UnsafeMutablePointer<UInt64> {
    let page = UnsafeMutablePointer<UInt64>.allocate(capacity: Self.pageEntries)
    page.initialize(repeating: 0, count: Self.pageEntries)
    if index < Self.directPages {
      if direct.count <= Int(index) {
        direct.append(contentsOf: repeatElement(nil, count: Int(index) + 1 - direct.count))
      }
      direct[Int(index)] = page
    } else {
      far[index] = page
    }
    return page
  }
}

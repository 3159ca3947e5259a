// SPDX-License-Identifier: GPL-3.0-or-later

/// The bytes of one in-memory "file": sparse 4 KiB pages found through a flat page table.
///
/// Separate from `InMemoryDevice` because a file is opened several times (a writable handle for a
/// leaf, read-only handles for the chain above it): every handle shares one backing, exactly as
/// file descriptors share one inode.
final class MemoryBacking: DeviceBacking {
  static let pageShift: UInt64 = 12
  static let pageSize = 1 << pageShift
  /// Largest length the backing accepts (16 TiB); past it the flat page table would be absurd.
  static let maximumLength: UInt64 = 1 << 44

  /// Page storage, 256 pages per 1 MiB chunk.
  let pages = SlotArena(slotSize: MemoryBacking.pageSize)
  /// Page index → slot in `pages`, -1 when the page is a hole. Only as long as the last page ever
  /// written; pages past its end are holes.
  private var pageTable: [Int32] = []
  /// File size in bytes. Bytes of the last page past `length` are always zero.
  private(set) var length: UInt64 = 0
  /// Modification time stamped by the owning storage's logical clock; nil for standalone devices.
  var fileTime: LogicalFileTime?
  var parsedImage = ParsedImageCache()

  /// Bytes held in pages.
  var allocatedBytes: UInt64 { UInt64(pages.slotsInUse) << Self.pageShift }

  @inline(__always)
  private func slot(ofPage page: Int) -> Int32 {
    page < pageTable.count ? pageTable[page] : -1
  }

  /// Copies `[offset, offset + buffer.count)` out; the caller has checked the range.
  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, kind: IOKind) {
    guard let base = buffer.baseAddress else { return }
    forEachPage(at: offset, count: buffer.count) { page, inPage, done, count in
      let slot = slot(ofPage: page)
      if slot >= 0 {
        (base + done).copyMemory(from: pages.pointer(slot) + inPage, byteCount: count)
      } else {
        DeviceSupport.zero(base + done, count)
      }
    }
  }

  /// Calls `body(page, offset in page, bytes before this piece, bytes in it)` for each page piece of
  /// `[offset, offset + count)`, in order.
  @inline(__always)
  private func forEachPage(at offset: UInt64, count total: Int, _ body: (Int, Int, Int, Int) -> Void) {
    var done = 0
    while done < total {
      let position = offset + UInt64(done)
      let inPage = Int(position & UInt64(Self.pageSize - 1))
      let count = min(Self.pageSize - inPage, total - done)
      body(Int(position >> Self.pageShift), inPage, done, count)
      done += count
    }
  }

  /// Stores `buffer` at `offset`, allocating pages as needed and extending the length.
  func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64, end: UInt64, kind: IOKind) {
    guard let base = buffer.baseAddress, end > offset else { return }
    let lastPage = Int((end - 1) >> Self.pageShift)
    if lastPage >= pageTable.count {
      pageTable.append(contentsOf: repeatElement(-1, count: lastPage + 1 - pageTable.count))
    }
    forEachPage(at: offset, count: buffer.count) { page, inPage, done, count in
      var slot = pageTable[page]
      if slot < 0 {
        slot = pages.allocate(zeroed: count < Self.pageSize)
        pageTable[page] = slot
      }
      (pages.pointer(slot) + inPage).copyMemory(from: base + done, byteCount: count)
    }
    length = max(length, end)
    fileTime?.touch()
  }

  /// Makes `[offset, end)` read as zeros: whole pages go back to the free list, partial pages are
  /// zero-filled. Extends the length when `end` is past it.
  func writeZeros(from offset: UInt64, to end: UInt64) {
    clear(from: offset, to: end)
    length = max(length, end)
    fileTime?.touch()
  }

  private func clear(from offset: UInt64, to end: UInt64) {
    guard end > offset, !pageTable.isEmpty else { return }
    let pageSize = UInt64(Self.pageSize)
    let firstPage = Int(offset >> Self.pageShift)
    let lastPage = min(Int((end - 1) >> Self.pageShift), pageTable.count - 1)
    guard firstPage <= lastPage else { return }
    for page in firstPage...lastPage {
      let slot = pageTable[page]
      guard slot >= 0 else { continue }
      let pageStart = UInt64(page) << Self.pageShift
      let from = max(offset, pageStart)
      let to = min(end, pageStart + pageSize)
      if from == pageStart && to == pageStart + pageSize {
        pages.release(slot)
        pageTable[page] = -1
      } else {
        DeviceSupport.zero(pages.pointer(slot) + Int(from - pageStart), Int(to - from))
      }
    }
  }

  /// Sets the length; shrinking frees the pages past the new end and zeroes the tail of the last.
  func truncate(to newLength: UInt64) {
    if newLength < length {
      // Up to the end of the last page, so a page straddling the old end is freed too.
      let pageMask = UInt64(Self.pageSize - 1)
      clear(from: newLength, to: (length + pageMask) & ~pageMask)
      let keptPages = Int((newLength + UInt64(Self.pageSize) - 1) >> Self.pageShift)
      if keptPages < pageTable.count { pageTable.removeSubrange(keptPages...) }
      pages.releaseAllIfEmpty()
    }
    length = newLength
    fileTime?.touch()
  }

  /// Allocated page ranges within `range`, merged and clamped to the length.
  func dataRegions(in range: Range<UInt64>) -> [Range<UInt64>] {
    guard let wanted = DeviceSupport.clamp(range, to: length), !pageTable.isEmpty else { return [] }
    let firstPage = Int(wanted.lowerBound >> Self.pageShift)
    let lastPage = min(Int((wanted.upperBound - 1) >> Self.pageShift), pageTable.count - 1)
    var regions: [Range<UInt64>] = []
    var page = firstPage
    while page <= lastPage {
      guard pageTable[page] >= 0 else {
        page += 1
        continue
      }
      let start = page
      while page <= lastPage && pageTable[page] >= 0 { page += 1 }
      let lower = max(wanted.lowerBound, UInt64(start) << Self.pageShift)
      let upper = min(wanted.upperBound, UInt64(page) << Self.pageShift)
      DeviceSupport.appendMerging(lower..<upper, to: &regions)
    }
    return regions
  }
}

/// A block device held in memory: sparse 4 KiB pages, holes read as zeros.
///
/// The simulator's default device: fast, deterministic, and byte-exact, so a whole chain can be
/// built, snapshotted and coalesced in a test without touching a disk. Reads and writes allocate
/// nothing once the pages they touch exist. A device is a handle onto a shared backing store;
/// `reopen(writable:)` makes another handle on the same bytes (what `MemoryStorage.open` returns).
public final class InMemoryDevice: BlockDevice, BackedDevice {
  public let name: String
  public let isWritable: Bool
  let backing: MemoryBacking

  /// A new, empty device of its own.
  public convenience init(name: String, writable: Bool = true) {
    self.init(name: name, backing: MemoryBacking(), writable: writable)
  }

  init(name: String, backing: MemoryBacking, writable: Bool) {
    self.name = name
    self.backing = backing
    self.isWritable = writable
  }

  /// Another handle on the same bytes, e.g. a read-only view of a device being written.
  public func reopen(writable: Bool) -> InMemoryDevice {
    InMemoryDevice(name: name, backing: backing, writable: writable)
  }

  /// Bytes of page storage in use (whole 4 KiB pages), for tests and capacity studies.
  public var allocatedBytes: UInt64 { backing.allocatedBytes }
}

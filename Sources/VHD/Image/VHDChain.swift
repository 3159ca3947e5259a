// SPDX-License-Identifier: GPL-3.0-or-later

/// A snapshot chain, leaf first: reads resolve each sector from the leaf down
/// (docs/vhd-format.md#read-resolution), writes go to the leaf. Every call fills a
/// `RequestAccounting` with the per-level work it did.
public final class VHDChain {
  /// Index 0 is the leaf; the last is the base (dynamic, fixed or raw).
  public let images: [VHDImage]
  /// Reusable per-block sector masks (MSB-first words), so reads allocate nothing.
  private let pending: UnsafeMutablePointer<UInt64>
  private let take: UnsafeMutablePointer<UInt64>
  private let maskWords: Int
  /// Counters of the last `read`/`write` when the caller does not pass its own.
  public var lastAccounting = RequestAccounting()
  /// Runs of one level closer than this many sectors are read with one device read (the gap is
  /// overwritten by lower levels or zero fill afterwards, so the result is the same). 0 reads each
  /// run on its own, as tapdisk does; bulk readers (export) raise it to trade bytes for calls.
  /// When it is non-zero, reads also skip the device's holes (`dataRegions`).
  public var mergeGapSectors = 0
  /// Whether reads write zeros for the sectors no level holds. Only a caller that never looks at
  /// the bytes it reads turns this off (the pool on metadata-only devices, whose data reads are
  /// zeros anyway): a 1 MiB read of unallocated space then costs its lookups, not a 1 MiB memset.
  /// What is counted and what I/O is issued do not change.
  public var zeroFillsUnheldSectors = true

  /// The deepest chain `open` follows before calling it a loop.
  public static let maximumOpenDepth = 1024

  public init(images: [VHDImage]) throws {
    precondition(!images.isEmpty)
    let spb = images.first { $0.format.isSparse }?.sectorsPerBlock ?? Int(VHDLimits.blockSize / 512)
    for img in images where img.format.isSparse && img.sectorsPerBlock != spb {
      throw VHDError(
        .unsupported, file: img.path, field: "header.block_size",
        "block size \(img.blockSize) differs from the chain's \(spb * 512)")
    }
    self.images = images
    maskWords = max(1, (spb + 63) / 64)
    pending = .allocate(capacity: maskWords)
    take = .allocate(capacity: maskWords)
    for (i, img) in images.enumerated() { img.level = i }
    lastAccounting.reset(depth: images.count)
  }

  deinit {
    pending.deallocate()
    take.deallocate()
  }

  public var leaf: VHDImage { images[0] }
  public var depth: Int { images.count }
  public var virtualSize: UInt64 { leaf.virtualSize }
  private var sectorsPerBlock: Int { images.first { $0.format.isSparse }?.sectorsPerBlock ?? 4096 }

  /// Attaches one observer to every level.
  public func setObserver(_ observer: (any IOObserver)?) {
    for img in images { img.observer = observer }
  }

  /// Opens the chain ending at `path`: the leaf read-write when `writable`, parents read-only.
  /// Parents are found through the locators relative to the child's folder and must carry the UUID
  /// the child recorded; a loop or a missing parent is an error naming the child.
  public static func open(
    _ path: String, storage: any Storage, writable: Bool = false, options: EngineOptions = .init()
  ) throws -> VHDChain {
    var images = [try VHDImage.open(path, storage: storage, writable: writable, options: options)]
    var seen: Set<String> = [storage.canonicalPath(path)]
    while let child = images.last, child.format == .differencing {
      guard images.count < maximumOpenDepth else {
        throw VHDError(.chainTooDeep, file: path, "chain deeper than \(maximumOpenDepth) levels")
      }
      let parentPath = try resolveParent(of: child, storage: storage)
      let canonical = storage.canonicalPath(parentPath)
      guard seen.insert(canonical).inserted else {
        throw VHDError(
          .parentLoop, file: child.path, field: "header.parent_locator",
          "parent \(parentPath) is already in the chain")
      }
      let header = child.header!
      if header.parentUniqueID.isNull {
        images.append(try VHDImage.openRaw(parentPath, storage: storage, options: options))
        break
      }
      let parent = try VHDImage.open(parentPath, storage: storage, writable: false, options: options)
      guard parent.footer.uniqueID == header.parentUniqueID else {
        throw VHDError(
          .parentUUIDMismatch, file: child.path, field: "header.parent_unique_id", offset: 512 + 40,
          "parent \(parentPath) has UUID \(parent.footer.uniqueID), expected \(header.parentUniqueID)")
      }
      images.append(parent)
    }
    return try VHDChain(images: images)
  }

  /// blktap's parent resolution: the first MacX/W2ku/W2ru locator whose path exists, absolute
  /// when it starts with `/`, otherwise relative to the child's folder.
  public static func resolveParent(of child: VHDImage, storage: any Storage) throws -> String {
    let folder = VHDPath.directory(storage.canonicalPath(child.path))
    var tried: [String] = []
    for loc in child.locatorPaths {
      if loc.path.hasPrefix("/"), storage.exists(loc.path) { return loc.path }
      let candidate = VHDPath.join(folder, loc.path)
      if storage.exists(candidate) { return storage.canonicalPath(candidate) }
      tried.append(loc.path)
    }
    throw VHDError(
      .missingParent, file: child.path, field: "header.parent_locator",
      tried.isEmpty
        ? "no usable parent locator"
        : "parent not found (tried \(tried.joined(separator: ", ")) from \(folder))")
  }

  // MARK: reads

  /// Reads `count` sectors at `sector` into `buffer` (at least count·512 bytes).
  public func read(
    sector: UInt64, count: Int, into buffer: UnsafeMutableRawPointer, accounting: inout RequestAccounting
  )
    throws
  {
    accounting.reset(depth: images.count)
    try checkReadRange(sector: sector, count: count)
    let spb = sectorsPerBlock
    var done = 0
    while done < count {
      let lba = sector + UInt64(done)
      let block = Int(lba / UInt64(spb))
      let first = Int(lba % UInt64(spb))
      let n = min(count - done, spb - first)
      try readSegment(
        block: block, first: first, count: n, into: buffer + done * 512, accounting: &accounting)
      done += n
    }
  }

  /// Throws `.outOfRange` unless `count` sectors at `sector` lie inside the virtual disk (checked
  /// before any buffer is sized from them).
  public func checkReadRange(sector: UInt64, count: Int) throws {
    guard count >= 0, sector <= leaf.sizeSectors, UInt64(count) <= leaf.sizeSectors - sector else {
      throw VHDError(
        .outOfRange, file: leaf.path, field: "sector", offset: byteOffset(ofSector: sector),
        "read of \(count) sectors at sector \(sector) runs past the end of the \(leaf.sizeSectors)-sector disk"
      )
    }
  }

  /// Convenience: reads into a byte array (tests, CLI).
  public func read(sector: UInt64, count: Int) throws -> [UInt8] {
    try checkReadRange(sector: sector, count: count)
    var out = [UInt8](repeating: 0, count: count * 512)
    var acc = lastAccounting
    try out.withUnsafeMutableBytes {
      try read(sector: sector, count: count, into: $0.baseAddress!, accounting: &acc)
    }
    lastAccounting = acc
    return out
  }

  /// One block's part of a read, resolved level by level with sector masks.
  private func readSegment(
    block: Int, first: Int, count: Int, into dst: UnsafeMutableRawPointer, accounting: inout RequestAccounting
  ) throws {
    let spb = sectorsPerBlock
    let lo = first
    var hi = first + count
    let wlo = lo >> 6
    let whi = (hi - 1) >> 6
    for w in wlo...whi { pending[w] = SectorBitmap.mask(word: w, lo: lo, hi: hi) }
    let blockLBA = UInt64(block) * UInt64(spb)
    var remaining = true
    for (lv, img) in images.enumerated() {
      // A smaller lower level reads as zeros beyond its end (docs/vhd-format.md#larger-child).
      let levelEnd = img.sizeSectors
      if blockLBA + UInt64(lo) >= levelEnd { break }
      if blockLBA + UInt64(hi) > levelEnd {
        hi = Int(levelEnd - blockLBA)
        for w in wlo...whi { pending[w] &= SectorBitmap.mask(word: w, lo: lo, hi: hi) }
      }
      switch img.format {
      case .fixed, .raw:
        try serve(
          level: lv, image: img, mask: pending, wlo: wlo, whi: whi, lo: lo, hi: hi, blockLBA: blockLBA,
          dataSector: nil, dst: dst, first: first, accounting: &accounting)
        remaining = false
      case .dynamic, .differencing:
        accounting.levels[lv].batProbes += 1
        let entry = img.blockTable.entries[block]
        if entry == VHDImage.unusedEntry {
          if img.format == .dynamic { remaining = true } else { continue }
          break
        }
        let dataSector = UInt64(entry) + UInt64(img.bitmapSectors)
        if img.options.useBATMap && img.batmapBit(block) {
          accounting.levels[lv].batmapShortcuts += 1
          try serve(
            level: lv, image: img, mask: pending, wlo: wlo, whi: whi, lo: lo, hi: hi, blockLBA: blockLBA,
            dataSector: dataSector, dst: dst, first: first, accounting: &accounting)
          remaining = false
          break
        }
        let bitmap = try img.loadBitmap(block, work: &accounting.levels[lv])
        var left: UInt64 = 0
        var any: UInt64 = 0
        for w in wlo...whi {
          let t = pending[w] & SectorBitmap.word(bitmap, w)
          take[w] = t
          pending[w] &= ~t
          left |= pending[w]
          any |= t
        }
        if any != 0 {
          try serve(
            level: lv, image: img, mask: take, wlo: wlo, whi: whi, lo: lo, hi: hi, blockLBA: blockLBA,
            dataSector: dataSector, dst: dst, first: first, accounting: &accounting, unresolved: pending)
        }
        remaining = left != 0
        if img.format == .differencing && remaining { continue }
      }
      break
    }
    if remaining {
      // Whatever no level held reads as zeros, including sectors past a smaller parent.
      let fullHi = first + count
      for w in wlo...whi { pending[w] |= SectorBitmap.mask(word: w, lo: hi, hi: fullHi) }
      let fill = zeroFillsUnheldSectors
      forEachRun(pending, lo: lo, hi: fullHi) { s, n in
        if fill { (dst + (s - first) * 512).initializeMemory(as: UInt8.self, repeating: 0, count: n * 512) }
        accounting.run(level: -1, sector: blockLBA + UInt64(s), count: n)
      }
    } else if hi < first + count {
      let n = first + count - hi
      if zeroFillsUnheldSectors {
        (dst + (hi - first) * 512).initializeMemory(as: UInt8.self, repeating: 0, count: n * 512)
      }
      accounting.run(level: -1, sector: blockLBA + UInt64(hi), count: n)
    }
  }

  /// Reads the runs of `mask` from one level: at `dataSector` of a block, or at the LBA for
  /// fixed and raw images. Runs closer than `mergeGapSectors` are read together when every sector
  /// of the gap is still in `unresolved` (so a lower level or the zero fill rewrites it later);
  /// a gap holding sectors an upper level already served is never read over.
  @inline(__always)
  private func serve(
    level: Int, image: VHDImage, mask: UnsafeMutablePointer<UInt64>, wlo: Int, whi: Int, lo: Int, hi: Int,
    blockLBA: UInt64, dataSector: UInt64?, dst: UnsafeMutableRawPointer, first: Int,
    accounting: inout RequestAccounting, unresolved: UnsafeMutablePointer<UInt64>? = nil
  ) throws {
    var failure: (any Error)?
    var spanStart = -1
    var spanEnd = -1
    let bulk = mergeGapSectors > 0
    func flush() {
      guard spanStart >= 0, failure == nil else { return }
      let offset = (dataSector.map { $0 + UInt64(spanStart) } ?? (blockLBA + UInt64(spanStart))) * 512
      let target = dst + (spanStart - first) * 512
      let length = (spanEnd - spanStart) * 512
      do {
        if bulk {
          // Bulk reads skip the device's holes (they read as zeros), as qemu-img does with
          // SEEK_DATA: a partly written block of a sparse file costs only its data.
          let regions = try image.device.dataRegions(in: offset..<offset + UInt64(length))
          if regions.count != 1 || regions[0] != offset..<offset + UInt64(length) {
            var at = offset
            for r in regions {
              if r.lowerBound > at {
                (target + Int(at - offset)).initializeMemory(
                  as: UInt8.self, repeating: 0, count: Int(r.lowerBound - at))
              }
              try image.deviceRead(
                UnsafeMutableRawBufferPointer(
                  start: target + Int(r.lowerBound - offset), count: Int(r.count)),
                at: r.lowerBound, kind: .data)
              at = r.upperBound
            }
            let end = offset + UInt64(length)
            if at < end {
              (target + Int(at - offset)).initializeMemory(as: UInt8.self, repeating: 0, count: Int(end - at))
            }
            return
          }
        }
        try image.deviceRead(
          UnsafeMutableRawBufferPointer(start: target, count: length), at: offset, kind: .data)
      } catch { failure = error }
    }
    forEachRun(mask, lo: lo, hi: hi) { s, n in
      accounting.run(level: level, sector: blockLBA + UInt64(s), count: n)
      if spanStart >= 0 && s - spanEnd <= mergeGapSectors, let unresolved,
        BitRuns.next(false, in: unresolved, from: spanEnd, to: s, order: .msbFirst) == s
      {
        spanEnd = s + n
      } else {
        flush()
        spanStart = s
        spanEnd = s + n
      }
    }
    flush()
    for w in wlo...whi { mask[w] = 0 }
    if let failure { throw failure }
  }

  /// Calls `body(start, count)` for each run of set bits in [lo, hi) of an MSB-first word mask.
  @inline(__always)
  private func forEachRun(_ mask: UnsafeMutablePointer<UInt64>, lo: Int, hi: Int, _ body: (Int, Int) -> Void)
  {
    BitRuns.forEach(in: mask, from: lo, to: hi, order: .msbFirst) { s, e in body(s, e - s) }
  }

  // MARK: writes

  /// Writes `count` sectors at `sector` to the leaf.
  public func write(
    sector: UInt64, count: Int, from source: UnsafeRawPointer, accounting: inout RequestAccounting
  )
    throws
  {
    accounting.reset(depth: images.count)
    try leaf.write(sector: sector, count: count, from: source, accounting: &accounting)
  }

  /// Marks the sectors set in `mask` of block `block` written in the leaf, as zero-data writes
  /// would (``VHDImage/markWritten(block:mask:accounting:level:)``).
  public func markWritten(block: Int, mask: UnsafePointer<UInt64>, accounting: inout RequestAccounting)
    throws
  {
    accounting.reset(depth: images.count)
    try leaf.markWritten(block: block, mask: mask, accounting: &accounting)
  }

  /// Convenience: writes a byte array whose length is a multiple of 512.
  public func write(sector: UInt64, bytes: [UInt8]) throws {
    guard bytes.count % 512 == 0 else {
      throw VHDError(
        .invalidArgument, file: leaf.path, "write length \(bytes.count) is not a multiple of 512")
    }
    var acc = lastAccounting
    try bytes.withUnsafeBytes {
      try write(
        sector: sector, count: bytes.count / 512, from: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!,
        accounting: &acc)
    }
    lastAccounting = acc
  }

  /// Flushes deferred leaf metadata (tapdisk footer policy).
  public func flush() throws { try leaf.flush() }
  public func close() throws { try leaf.close() }
}

extension VHDChain {
  /// Writes bytes at any byte offset, reading back the partial first and last sectors through the
  /// chain (read-modify-write), as a guest with 512-byte sectors would.
  public func write(byteOffset: UInt64, bytes: [UInt8]) throws {
    guard !bytes.isEmpty else { return }
    let (end, overflow) = byteOffset.addingReportingOverflow(UInt64(bytes.count))
    guard !overflow, end <= virtualSize else {
      throw VHDError(
        .outOfRange, file: leaf.path, field: "offset", offset: byteOffset,
        "write of \(bytes.count) bytes at \(byteOffset) runs past the end of the \(virtualSize)-byte disk")
    }
    let first = byteOffset / 512
    let last = (end + 511) / 512
    var sectors = try read(sector: first, count: Int(last - first))
    let skip = Int(byteOffset - first * 512)
    sectors.replaceSubrange(skip..<skip + bytes.count, with: bytes)
    try write(sector: first, bytes: sectors)
  }
}

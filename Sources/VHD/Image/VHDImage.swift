// SPDX-License-Identifier: GPL-3.0-or-later

/// One VHD file (or one raw image) open on a device: its footer, header, BAT and BATmap held in
/// memory, block bitmaps behind a cache. An image is one chain level; `VHDChain` walks levels.
///
/// Opening validates everything a reader relies on and refuses a damaged file with a `VHDError`
/// naming the field. Nothing is written during a read-only open or a refused one; a read-write open
/// of a file whose end footer is missing or damaged while the copy at 0 is sound rewrites the end
/// footer (what a crash mid-allocation or a live tapdisk leaves, docs/vhd-format.md#crash-safety).
public final class VHDImage {
  public let path: String
  public let device: any BlockDevice
  public let format: ImageFormat
  public internal(set) var footer: HardDiskFooter {
    didSet { encodedFooter = nil }
  }
  /// The footer's bytes as last written: a footer moves to the new end at every block allocation
  /// but rarely changes, so it is checksummed and encoded once per change, not per move.
  var encodedFooter: [UInt8]?
  /// Dynamic and differencing disks only.
  public internal(set) var header: DynamicDiskHeader?
  /// Virtual size in bytes (footer current size; file size for raw images).
  public let virtualSize: UInt64
  public let options: EngineOptions
  /// Chain level reported to the I/O observer (0 = leaf). Set by the chain.
  // These two are read for every physical I/O: unchecked exclusivity, as for the block table below.
  @exclusivity(unchecked) public var level = 0
  /// Receives every physical I/O of this image.
  @exclusivity(unchecked) public var observer: (any IOObserver)?

  // Sparse-image state, grouped by how it changes: the layout is fixed at open, the BAT and the
  // BATmap change with allocations (mutated in place through these stored properties), the cache
  // with every bitmap read.
  /// Block and bitmap sizes, block count, end of metadata.
  let blockLayout: BlockLayout
  // Unchecked exclusivity: the image is used from one thread at a time and these are read on
  // every request (dynamic exclusivity checks on class properties cost more than the lookup).
  @exclusivity(unchecked) var blockTable: BlockTable
  @exclusivity(unchecked) var batmap: BATMapState
  let cache: BitmapCache
  /// The footer write deferred by `FooterPolicy.onClose`.
  var footerDirty = false
  /// Parent paths decoded from the locators, in slot order (differencing disks).
  public internal(set) var locatorPaths: [(slot: Int, code: ParentLocator.Code, path: String)] = []

  public static let unusedEntry: UInt32 = 0xFFFF_FFFF

  /// An image over `device` holding the given metadata; without a layout, one with no blocks (a
  /// fixed disk or raw image).
  init(
    path: String, device: any BlockDevice, format: ImageFormat, footer: HardDiskFooter,
    header: DynamicDiskHeader?, virtualSize: UInt64, options: EngineOptions, layout: BlockLayout? = nil,
    blockTable: BlockTable? = nil, batmap: BATMapState = BATMapState(header: nil, bits: [])
  ) {
    let layout = layout ?? BlockLayout(header: header, virtualSize: virtualSize, metadataEndSector: 0)
    self.path = path
    self.device = device
    self.format = format
    self.footer = footer
    self.header = header
    self.virtualSize = virtualSize
    self.options = options
    blockLayout = layout
    self.blockTable = blockTable ?? BlockTable(entries: [], padding: [], layout: layout)
    self.batmap = batmap
    cache = BitmapCache(
      blocks: layout.blockCount, bitmapBytes: layout.bitmapSectors * 512,
      capacity: options.bitmapCacheCapacity)
  }

  /// Virtual size in sectors.
  public var sizeSectors: UInt64 { virtualSize / 512 }
  public var isWritable: Bool { device.isWritable }
  public var isHidden: Bool { footer.hidden != 0 }
  /// Whether the file carries a valid BATmap (blktap images).
  public var hasBATMap: Bool { batmap.isPresent }
  public var blockSize: Int { sectorsPerBlock * 512 }
  /// Blocks in use: `ceil(current_size / block_size)`.
  public var blockCount: Int { blockLayout.blockCount }
  public var sectorsPerBlock: Int { blockLayout.sectorsPerBlock }
  public var bitmapSectors: Int { blockLayout.bitmapSectors }
  /// First sector after all metadata (header, BAT, BATmap, locators).
  public var metadataEndSector: UInt64 { blockLayout.metadataEndSector }
  /// First sector after metadata and every allocated block: where the next block goes.
  public var endOfDataSector: UInt64 { blockTable.endOfDataSector }
  public var allocatedBlockCount: Int { blockTable.allocatedCount }

  /// BAT entry of `block` (the bitmap's sector), or nil when unallocated.
  public func blockEntry(_ block: Int) -> UInt32? {
    let e = blockTable.entries[block]
    return e == Self.unusedEntry ? nil : e
  }

  /// Whether the BATmap marks `block` full (bitmap all ones).
  @inline(__always)
  public func batmapBit(_ block: Int) -> Bool { batmap.isFull(block) }

  /// Blocks allocated in this image or in `other` (same index): the union sm's coalesce-space check
  /// counts (docs/storage-manager.md#coalesce-space). Read from both BATs in place.
  public func allocatedBlockUnion(with other: VHDImage) -> Int {
    blockTable.entries.withUnsafeBufferPointer { a in
      other.blockTable.entries.withUnsafeBufferPointer { b in
        let (na, nb) = (blockCount, other.blockCount)
        let both = min(na, nb)
        var count = 0
        // An unused entry is all ones, so a block is in neither exactly when the AND of its two
        // entries is all ones (no branch per block).
        for i in 0..<both { count &+= a[i] & b[i] != Self.unusedEntry ? 1 : 0 }
        for i in both..<na { count &+= a[i] != Self.unusedEntry ? 1 : 0 }
        for i in both..<nb { count &+= b[i] != Self.unusedEntry ? 1 : 0 }
        return count
      }
    }
  }

  // MARK: device I/O, observed

  @inline(__always)
  func deviceRead(_ buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    if let observer {
      observer.observe(
        PhysicalIO(level: level, kind: kind, direction: .read, offset: offset, length: UInt64(buffer.count)))
    }
    do { try device.read(into: buffer, at: offset, kind: kind) } catch {
      throw VHDError.wrap(error, file: path, field: kind.description)
    }
  }

  @inline(__always)
  func deviceWrite(_ buffer: UnsafeRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    if let observer {
      observer.observe(
        PhysicalIO(level: level, kind: kind, direction: .write, offset: offset, length: UInt64(buffer.count)))
    }
    do { try device.write(buffer, at: offset, kind: kind) } catch {
      throw VHDError.wrap(error, file: path, field: kind.description)
    }
  }

  func deviceWriteZeros(at offset: UInt64, length: UInt64, kind: IOKind) throws {
    guard length > 0 else { return }
    if let observer {
      observer.observe(
        PhysicalIO(level: level, kind: kind, direction: .write, offset: offset, length: length, zeroing: true)
      )
    }
    do { try device.writeZeros(at: offset, length: length, kind: kind) } catch {
      throw VHDError.wrap(error, file: path, field: kind.description)
    }
  }

  func deviceWrite(_ bytes: [UInt8], at offset: UInt64, kind: IOKind) throws {
    try bytes.withUnsafeBytes { try deviceWrite($0, at: offset, kind: kind) }
  }

  func deviceReadBytes(_ count: Int, at offset: UInt64, kind: IOKind) throws -> [UInt8] {
    var b = [UInt8](repeating: 0, count: count)
    try b.withUnsafeMutableBytes { try deviceRead($0, at: offset, kind: kind) }
    return b
  }
}

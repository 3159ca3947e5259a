// SPDX-License-Identifier: GPL-3.0-or-later

/// One VHD file (or one raw image) open on a device: its footer, header, BAT and BATmap held in
/// memory, block bitmaps behind a cache. An image is one chain level; `VHDChain` walks levels.
///
/// Opening validates everything a reader relies on and refuses a damaged file with a `VHDError`
/// naming the field; nothing is written during an open, and a damaged file is never repaired.
public final class VHDImage {
  public let path: String
  public let device: any BlockDevice
  public let format: ImageFormat
  public internal(set) var footer: HardDiskFooter
  /// Dynamic and differencing disks only.
  public internal(set) var header: DynamicDiskHeader?
  /// Virtual size in bytes (footer current size; file size for raw images).
  public let virtualSize: UInt64
  public let options: EngineOptions
  /// Chain level reported to the I/O observer (0 = leaf). Set by the chain.
  public var level = 0
  /// Receives every physical I/O of this image.
  public var observer: (any IOObserver)?

  // Sparse-image state.
  /// BAT entries (all `max_table_entries`); `unusedEntry` = not allocated.
  // Unchecked exclusivity: the image is used from one thread at a time and these are read on
  // every request (dynamic exclusivity checks on class properties cost more than the lookup).
  @exclusivity(unchecked) var bat: [UInt32]
  /// Bytes of the BAT's last sector after entry N−1 (zeros from blktap, 0xFF from qemu), kept so
  /// that rewriting that sector does not change them.
  var batPadding: [UInt8]
  /// BATmap header and map bytes when the file has a valid BATmap.
  var batmapHeader: BATMapHeader? { didSet { hasBATMapBits = batmapHeader != nil } }
  /// Cached `batmapHeader != nil`, so the read path does not touch the header struct.
  @exclusivity(unchecked) var hasBATMapBits = false
  @exclusivity(unchecked) var batmap: [UInt8]
  /// Blocks in use: `ceil(current_size / block_size)`.
  public let blockCount: Int
  public let sectorsPerBlock: Int
  public let bitmapSectors: Int
  /// First sector after all metadata (header, BAT, BATmap, locators).
  public internal(set) var metadataEndSector: UInt64
  /// First sector after metadata and every allocated block: where the next block goes.
  public internal(set) var endOfDataSector: UInt64
  public internal(set) var allocatedBlockCount: Int
  let cache: BitmapCache
  /// Footer/BATmap writes deferred by `FooterPolicy.onClose`.
  var footerDirty = false
  var batmapDirty = false
  /// Parent paths decoded from the locators, in slot order (differencing disks).
  public internal(set) var locatorPaths: [(slot: Int, code: ParentLocator.Code, path: String)] = []

  public static let unusedEntry: UInt32 = 0xFFFF_FFFF

  init(
    path: String, device: any BlockDevice, format: ImageFormat, footer: HardDiskFooter,
    header: DynamicDiskHeader?, virtualSize: UInt64, options: EngineOptions, bat: [UInt32],
    batPadding: [UInt8], batmapHeader: BATMapHeader?, batmap: [UInt8], metadataEndSector: UInt64
  ) {
    self.path = path
    self.device = device
    self.format = format
    self.footer = footer
    self.header = header
    self.virtualSize = virtualSize
    self.options = options
    self.bat = bat
    self.batPadding = batPadding
    self.batmapHeader = batmapHeader
    hasBATMapBits = batmapHeader != nil
    self.batmap = batmap
    let bs = Int(header?.blockSize ?? VHDLimits.blockSize)
    sectorsPerBlock = bs / 512
    bitmapSectors = Int(header?.bitmapSectors ?? 1)
    blockCount = header == nil ? 0 : Int((virtualSize + UInt64(bs) - 1) / UInt64(bs))
    self.metadataEndSector = metadataEndSector
    var end = metadataEndSector
    var allocated = 0
    for i in 0..<min(blockCount, bat.count) where bat[i] != Self.unusedEntry {
      allocated += 1
      end = max(end, UInt64(bat[i]) + UInt64(bitmapSectors + sectorsPerBlock))
    }
    endOfDataSector = end
    allocatedBlockCount = allocated
    cache = BitmapCache(
      blocks: blockCount, bitmapBytes: bitmapSectors * 512, capacity: options.bitmapCacheCapacity)
  }

  /// Virtual size in sectors.
  public var sizeSectors: UInt64 { virtualSize / 512 }
  public var isWritable: Bool { device.isWritable }
  public var isHidden: Bool { footer.hidden != 0 }
  /// Whether the file carries a valid BATmap (blktap images).
  public var hasBATMap: Bool { hasBATMapBits }
  public var blockSize: Int { sectorsPerBlock * 512 }

  /// BAT entry of `block` (the bitmap's sector), or nil when unallocated.
  public func blockEntry(_ block: Int) -> UInt32? {
    let e = bat[block]
    return e == Self.unusedEntry ? nil : e
  }

  /// Whether the BATmap marks `block` full (bitmap all ones).
  @inline(__always)
  public func batmapBit(_ block: Int) -> Bool {
    guard hasBATMapBits else { return false }
    return batmap.withUnsafeBytes { SectorBitmap.test($0.baseAddress!, block) }
  }

  /// One bit per block: allocated or not (`vhd-util read -B`).
  public func allocationBitmap() -> [Bool] {
    (0..<blockCount).map { bat[$0] != Self.unusedEntry }
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
        PhysicalIO(level: level, kind: kind, direction: .write, offset: offset, length: length))
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

// SPDX-License-Identifier: GPL-3.0-or-later

extension VHDImage {
  /// Rounds a requested size up to blktap's 2 MiB granule and checks the limits.
  static func blktapSize(_ size: UInt64, path: String) throws -> UInt64 {
    guard size > 0 else {
      throw VHDError(.invalidArgument, file: path, field: "size", "size must be positive")
    }
    guard size <= VHDLimits.maximumSize else {
      throw VHDError(.sizeTooLarge, file: path, field: "size", "\(size) bytes exceeds the 2040 GiB limit")
    }
    let granule = UInt64(VHDLimits.blockSize)
    return (size + granule - 1) / granule * granule
  }

  /// Creates a dynamic VHD exactly as `vhd-util create -n F -s MB` lays it out
  /// (docs/vhd-format.md#blktap-layout): footer copy, header, BAT of FFFFFFFF entries (zero
  /// padding), BATmap header and zero map, end footer. `metadataSize` (`-S`) sizes the BAT and
  /// BATmap for a larger disk, so the disk can later grow without moving its data (blktap's
  /// metadata preallocation).
  public static func createDynamic(
    _ path: String, size: UInt64, metadataSize: UInt64? = nil, storage: any Storage,
    stamp: CreationStamp = .now(), options: EngineOptions = .init()
  ) throws -> VHDImage {
    let size = try blktapSize(size, path: path)
    return try createSparse(
      path, size: size, metadataSize: try metadataPreallocation(metadataSize, size: size, path: path),
      storage: storage,
      stamp: stamp, options: options, parent: nil)
  }

  /// Creates a fixed VHD (`vhd-util create -r`): zero data (holes on sparse devices), then the footer.
  public static func createFixed(
    _ path: String, size: UInt64, storage: any Storage, stamp: CreationStamp = .now(),
    options: EngineOptions = .init()
  ) throws -> VHDImage {
    let size = try blktapSize(size, path: path)
    let device = try StagedCreation.device(path, storage: storage, options: options)
    return try StagedCreation.finish(path, storage: storage, options: options) {
      // A fixed disk is preallocated: data and footer get their blocks now (or the create fails).
      try device.preallocate(length: size + 512)
      let footer = HardDiskFooter(
        diskType: .fixed, currentSize: size, uniqueID: stamp.uuid,
        timestamp: VHDTimestamp.fromUnix(stamp.unixTime))
      let image = VHDImage(
        path: path, device: device, format: .fixed, footer: footer, header: nil, virtualSize: size,
        options: options)
      // A preallocated file already reads as zeros (punching holes would undo the allocation).
      if device.length < size { try image.deviceWriteZeros(at: 0, length: size, kind: .data) }
      try image.writeFooter(both: false)
      return image
    }
  }

  /// What a new differencing disk points at.
  public struct ParentReference {
    /// Path of the parent as opened (its canonical form is used for the locators).
    public var path: String
    /// The parent's footer UUID (null for a raw parent) and virtual size.
    public var uuid: DiskUUID
    public var size: UInt64

    public init(path: String, uuid: DiskUUID, size: UInt64) {
      self.path = path
      self.uuid = uuid
      self.size = size
    }

    public init(image: VHDImage) {
      self.init(
        path: image.path, uuid: image.format == .raw ? .null : image.footer.uniqueID, size: image.virtualSize)
    }
  }

  /// Creates a differencing VHD on `parent` as `vhd-util snapshot` does: same layout as a dynamic
  /// disk, then MacX, W2ku and W2ru locators holding the relative path to the parent, parent
  /// UUID, basename (UTF-16BE) and the parent file's mtime as parent timestamp.
  public static func createDifferencing(
    _ path: String, parent: ParentReference, size: UInt64? = nil, metadataSize: UInt64? = nil,
    storage: any Storage, stamp: CreationStamp = .now(), options: EngineOptions = .init()
  ) throws -> VHDImage {
    let wanted = try blktapSize(max(size ?? parent.size, parent.size), path: path)
    if let size, size < parent.size {
      throw VHDError(
        .invalidArgument, file: path, field: "size",
        "a child cannot be smaller than its parent (\(parent.size) bytes)")
    }
    return try createSparse(
      path, size: wanted, metadataSize: try metadataPreallocation(metadataSize, size: wanted, path: path),
      storage: storage, stamp: stamp, options: options, parent: parent)
  }

  private static func createSparse(
    _ path: String, size: UInt64, metadataSize: UInt64, storage: any Storage, stamp: CreationStamp,
    options: EngineOptions, parent: ParentReference?
  ) throws -> VHDImage {
    let layout = BlktapLayout(virtualSize: metadataSize)
    var header = DynamicDiskHeader(maxTableEntries: layout.maxTableEntries)
    var locatorWrites: [(UInt64, [UInt8])] = []
    var metadataEnd = layout.locatorsOffset
    if let parent {
      let parentCanonical = storage.canonicalPath(parent.path)
      guard storage.exists(parentCanonical) else {
        throw VHDError(.missingParent, file: path, field: "parent", "parent \(parent.path) does not exist")
      }
      let childFolder = VHDPath.directory(storage.canonicalPath(path))
      let relative = VHDPath.relative(fromDirectory: childFolder, to: parentCanonical)
      header.parentUniqueID = parent.uuid
      let mtime = (try? storage.modificationTime(parentCanonical)) ?? stamp.unixTime
      header.parentTimestamp = VHDTimestamp.fromUnix(mtime)
      guard header.setParentName(VHDPath.basename(parentCanonical)) else {
        throw VHDError(
          .invalidArgument, file: path, field: "header.parent_unicode_name", "parent name too long")
      }
      for (slot, code) in [ParentLocator.Code.macX, .w2ku, .w2ru].enumerated() {
        let payload = ParentLocator.payload(for: code, relativePath: relative)
        let space = BlktapLayout.pad(UInt64(payload.count))
        header.locators[slot] = ParentLocator(
          code: code, dataSpace: UInt32(space), dataLength: UInt32(payload.count), dataOffset: metadataEnd)
        locatorWrites.append(
          (metadataEnd, payload + [UInt8](repeating: 0, count: Int(space) - payload.count)))
        metadataEnd += space
      }
    }
    header.updateChecksum()
    let footer = HardDiskFooter(
      diskType: parent == nil ? .dynamic : .differencing, currentSize: size, uniqueID: stamp.uuid,
      timestamp: VHDTimestamp.fromUnix(stamp.unixTime))
    let device = try StagedCreation.device(path, storage: storage, options: options)
    return try StagedCreation.finish(path, storage: storage, options: options) {
      let n = Int(layout.maxTableEntries)
      let bat = [UInt32](repeating: unusedEntry, count: n)
      let padding = [UInt8](repeating: 0, count: Int(layout.batBytes) - 4 * n)
      var batmapHeader = BATMapHeader(batmapOffset: layout.batmapOffset, batmapSize: layout.batmapSectors)
      let map = [UInt8](repeating: 0, count: Int(layout.batmapSectors) * 512)
      let len = min(map.count, BATMapHeader.checksummedLength(currentSize: size))
      batmapHeader.checksum = map.withUnsafeBytes {
        batmapChecksum(UnsafeRawBufferPointer(rebasing: $0[0..<len]), signed: false)
      }
      let blockLayout = BlockLayout(header: header, virtualSize: size, metadataEndSector: metadataEnd / 512)
      let image = VHDImage(
        path: path, device: device, format: parent == nil ? .dynamic : .differencing, footer: footer,
        header: header, virtualSize: size, options: options, layout: blockLayout,
        blockTable: BlockTable(
          entries: bat, padding: padding, allocatedCount: 0, endOfDataSector: blockLayout.metadataEndSector),
        batmap: BATMapState(header: batmapHeader, bits: map))
      // Write order as vhd-util create: footer copy, header, BAT, BATmap, locators, end footer.
      try image.deviceWrite(footer.encoded(), at: 0, kind: .footer)
      try image.deviceWrite(header.encoded(), at: 512, kind: .header)
      // Every entry unused (all ones in either byte order), zeros after the last.
      let batBytes =
        [UInt8](repeating: 0xFF, count: 4 * n) + [UInt8](repeating: 0, count: Int(layout.batBytes) - 4 * n)
      try image.deviceWrite(batBytes, at: header.tableOffset, kind: .bat)
      try image.deviceWrite(batmapHeader.encoded(), at: layout.batmapHeaderOffset, kind: .batmap)
      try image.deviceWrite(map, at: layout.batmapOffset, kind: .batmap)
      for (offset, bytes) in locatorWrites { try image.deviceWrite(bytes, at: offset, kind: .locator) }
      try image.writeFooter(both: false)
      if parent != nil {
        image.locatorPaths = header.locators.enumerated().compactMap { slot, loc in
          guard let code = loc.code, let w = locatorWrites.first(where: { $0.0 == loc.platformDataOffset }),
            let p = ParentLocator.decodePath(
              code: code, payload: Array(w.1.prefix(Int(loc.platformDataLength))))
          else { return nil }
          return (slot, code, p)
        }
      }
      return image
    }
  }
}

/// The BAT's disk size for a `metadataSize` request: at least the virtual size, within the limits.
private func metadataPreallocation(_ metadataSize: UInt64?, size: UInt64, path: String) throws -> UInt64 {
  guard let metadataSize else { return size }
  guard metadataSize >= size else {
    throw VHDError(
      .invalidArgument, file: path,
      "the preallocated metadata size (\(metadataSize) bytes) is smaller than the disk (\(size) bytes)")
  }
  return try VHDImage.blktapSize(metadataSize, path: path)
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// `vhd-util modify -p`: points a differencing disk at another parent. The locator payloads are
/// rewritten in place in their existing slots (a path that needs more space than a slot has is
/// refused, as blktap's ENAMETOOLONG), then parent UUID, name and timestamp, then the header.
public enum VHDReparent {
  /// - Parameter refuseLoops: first walk the new parent's chain and refuse one that passes through
  ///   this disk (what a user's `vhd modify` needs). The storage manager's relink never makes a loop
  ///   and does not pay for that walk, so the default is off; a test also builds damaged chains so.
  public static func reparent(
    _ path: String, newParent: String, rawParent: Bool = false, storage: any Storage,
    options: EngineOptions = .init(), refuseLoops: Bool = false
  ) throws {
    let image = try VHDImage.open(path, storage: storage, writable: true, options: options)
    guard image.format == .differencing, var header = image.header else {
      throw VHDError(
        .wrongDiskType, file: path, field: "footer.disk_type", "only a differencing disk has a parent")
    }
    let parent =
      rawParent
      ? try VHDImage.openRaw(newParent, storage: storage, options: options)
      : try VHDImage.open(newParent, storage: storage, options: options)
    let canonical = storage.canonicalPath(newParent)
    guard canonical != storage.canonicalPath(path) else {
      throw VHDError(.parentLoop, file: path, field: "parent", "a disk cannot be its own parent")
    }
    // The new parent must not descend from this disk: its chain may not pass through it.
    if !rawParent && refuseLoops {
      let chain = try VHDChain.open(newParent, storage: storage, writable: false, options: options)
      let inChain = chain.images.contains {
        $0.footer.uniqueID == image.footer.uniqueID
          || storage.canonicalPath($0.path) == storage.canonicalPath(path)
      }
      guard !inChain else {
        throw VHDError(
          .parentLoop, file: path, field: "parent",
          "\(newParent) descends from \(path): the chain would loop")
      }
    }
    let relative = VHDPath.relative(
      fromDirectory: VHDPath.directory(storage.canonicalPath(path)), to: canonical)
    // Check every slot first so that nothing is written when one does not fit.
    var writes: [(slot: Int, payload: [UInt8], space: UInt64)] = []
    for (slot, loc) in header.locators.enumerated() where loc.isResolvable {
      let payload = ParentLocator.payload(for: loc.code!, relativePath: relative)
      guard let space = loc.dataSpaceBytes, UInt64(payload.count) <= space else {
        throw VHDError(
          .locatorTooSmall, file: path, field: "header.parent_locator[\(slot)]",
          offset: 512 + UInt64(DynamicDiskHeader.locatorTableOffset + slot * ParentLocator.entrySize),
          "path \(relative) needs \(payload.count) bytes; the locator has \(loc.dataSpaceBytes ?? 0)")
      }
      writes.append((slot, payload, space))
    }
    guard !writes.isEmpty else {
      throw VHDError(
        .missingParent, file: path, field: "header.parent_locator", "no MacX/W2ku/W2ru locator to rewrite")
    }
    guard header.setParentName(VHDPath.basename(canonical)) else {
      throw VHDError(
        .invalidArgument, file: path, field: "header.parent_unicode_name", "parent name too long")
    }
    for w in writes {
      let loc = header.locators[w.slot]
      try image.deviceWrite(
        w.payload + [UInt8](repeating: 0, count: Int(w.space) - w.payload.count), at: loc.platformDataOffset,
        kind: .locator)
      header.locators[w.slot].platformDataLength = UInt32(w.payload.count)
    }
    header.parentUniqueID = rawParent ? .null : parent.footer.uniqueID
    header.parentTimestamp = VHDTimestamp.fromUnix(
      (try? storage.modificationTime(canonical)) ?? currentUnixTime())
    image.header = header
    try image.writeHeader()
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// What opening a sparse image read from its file and found sound: footer, header, BAT, BATmap,
/// parent locators and the layout they imply. It depends on the file's bytes alone (not on the
/// path, the open's mode or the engine options), so a file whose content has not changed since it
/// was parsed opens again from it without reading or checking anything (`ParsedImageCache`).
struct ParsedImage {
  var footer: HardDiskFooter
  /// Whether the footer was found at the end of the file (not only its copy at 0).
  var footerAtEnd: Bool
  var header: DynamicDiskHeader
  var layout: BlockLayout
  var blockTable: BlockTable
  var batmap: BATMapState
  var locatorPaths: [(slot: Int, code: ParentLocator.Code, path: String)]
  /// The metadata reads the parse made, in order (all of `MetadataReader.readKind`): what an
  /// observed open that starts from this parse reports (`ObservedDevice.replay`).
  var reads: [Read]

  struct Read {
    var offset: UInt64
    var length: UInt64
  }

  /// Where `MetadataReader` notes its reads.
  final class ReadLog {
    var reads: [Read] = []
  }
}

/// The last `ParsedImage` of one in-memory file, with the content generation it was read at.
///
/// A simulated SR opens the same unchanged files over and over: every snapshot opens its parent
/// chain, every tapdisk reopen opens the VM's chain, and a 50 GiB image's BAT is 25,600 entries to
/// read and check each time. The file's generation changes with every write, zeroing or
/// truncation through any handle (`LogicalFileTime`), so an entry of the current generation is
/// exactly what a fresh parse would return. Only storages that stamp generations keep one: real
/// files, and devices wrapped to inject faults, are always read. A device wrapped to observe its
/// I/O (`ObservedDevice`) uses its file's entry and reports the reads the parse made.
///
/// Memory: the entry shares its arrays with the images opened from it (copy on write) but outlives
/// them; a fleet run keeps about one BAT (100 KiB for 50 GiB) per file more, 15 % of its peak for
/// 100 VMs × 30 days. Keeping only files parsed twice unchanged saved half of that and cost a fifth
/// of the time saved, measured on that fleet.
struct ParsedImageCache {
  private var entry: (generation: UInt64, image: ParsedImage)?

  /// The image parsed at `generation`, if that is the one held.
  func image(at generation: UInt64) -> ParsedImage? {
    guard let entry, entry.generation == generation else { return nil }
    return entry.image
  }

  mutating func store(_ image: ParsedImage, at generation: UInt64) { entry = (generation, image) }
}

extension ParsedImage {
  /// The image on `device` (a handle on the file this was parsed from), opened for `options`.
  func image(on device: any BlockDevice, path: String, options: EngineOptions) -> VHDImage {
    let image = VHDImage(
      path: path, device: device, format: footer.diskType == .dynamic ? .dynamic : .differencing,
      footer: footer, header: header, virtualSize: footer.currentSize, options: options, layout: layout,
      blockTable: blockTable, batmap: batmap)
    image.locatorPaths = locatorPaths
    // With the end footer gone (live tapdisk image, or a writer stopped by a crash), the next block
    // still goes after the last one. A libvhd-policy writer puts the footer back at the end of data
    // from the copy at 0: its next allocation moves it there, or its flush or close writes it, as
    // libvhd's next footer write would (docs/vhd-format.md#crash-safety). Nothing is written here,
    // so a command that refuses after the open leaves the file as it was.
    if device.isWritable && !footerAtEnd && options.footerPolicy == .everyAllocation {
      image.footerDirty = true
    }
    return image
  }
}

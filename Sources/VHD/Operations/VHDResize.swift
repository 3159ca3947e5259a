// SPDX-License-Identifier: GPL-3.0-or-later

/// Growing the virtual size of a dynamic or differencing VHD, as `vhd-util resize` does
/// (docs/vhd-format.md#growing-the-virtual-size). Two ways:
/// - `growFast` (`resize -f`): when the BAT already has a slot for every block of the new size
///   (a file created with metadata preallocated, `vhd-util create -S`), only the footers change.
/// - `grow` (`resize -j`): otherwise the BAT, the BATmap and the parent locators must grow in
///   place, so the data blocks in their way move to the end of the file first. Offline and
///   journaled: an undo journal is written whole before the first change, the footer is poisoned
///   (`v_poison`) while the file is in between, and `revert` undoes a grow cut by a crash.
public enum VHDResize {
  /// `vhd-util query -S`: the largest virtual size a footer-only grow reaches (BAT slots × block).
  public static func maxFastSize(of image: VHDImage) -> UInt64 {
    guard let h = image.header else { return image.virtualSize }
    return UInt64(h.maxTableEntries) * UInt64(h.blockSize)
  }

  /// `vhd-util resize -f`: sets the virtual size to `size` (rounded up to 2 MiB) by rewriting both
  /// footers. Refused when the BAT has no slot for the new blocks. A crash between the two footer
  /// writes leaves the copy at 0 with the new size and the end footer with the old one; either
  /// describes a valid file, and `vhd-util repair` (rewriting the end footer from the copy) finishes.
  public static func growFast(
    _ path: String, to size: UInt64, storage: any Storage, options: EngineOptions = .init()
  ) throws {
    let image = try VHDImage.open(path, storage: storage, writable: true, options: options)
    let size = try checkedSize(size, of: image)
    guard size <= maxFastSize(of: image) else {
      throw VHDError(
        .invalidArgument, file: path, field: "header.max_table_entries",
        "\(image.header?.maxTableEntries ?? 0) BAT slots cannot map \(size) bytes: a fast resize is not possible"
      )
    }
    guard size > image.virtualSize else { return }
    image.footer.currentSize = size
    image.footer.geometry = DiskGeometry(forSize: size)
    try image.writeFooter(both: true)
  }

  /// `vhd-util resize -j`: grows `path` to `size` (rounded up to 2 MiB), moving blocks and
  /// metadata as needed, with `journal` as its undo journal (docs/vhd-format.md#growing-the-virtual-size
  /// gives the write order and what a crash at each point leaves). The file must not be open.
  /// Returns how many data blocks moved.
  @discardableResult
  public static func grow(
    _ path: String, to size: UInt64, journal: String, storage: any Storage, options: EngineOptions = .init()
  ) throws -> Int {
    let image = try VHDImage.open(path, storage: storage, writable: true, options: options)
    let size = try checkedSize(size, of: image)
    guard size > image.virtualSize else { return 0 }
    let plan = try VHDGrowPlan(image: image, newSize: size)
    let originalLength = image.device.length
    let footerOffset = image.endOfDataSector * 512
    try writeJournal(
      VHDResizeJournal(
        originalLength: originalLength,
        prefix: try image.deviceReadBytes(Int(min(plan.newMetadataEnd, footerOffset)), at: 0, kind: .header),
        footerOffset: footerOffset,
        footer: try image.deviceReadBytes(HardDiskFooter.size, at: footerOffset, kind: .footer)),
      to: journal, storage: storage)
    try plan.apply(to: image)
    try removeJournal(journal, storage: storage)
    return plan.moves.count
  }

  /// The size rounded to blktap's granule; refuses a fixed or raw image and a shrink.
  static func checkedSize(_ size: UInt64, of image: VHDImage) throws -> UInt64 {
    guard image.header != nil else {
      throw VHDError(
        .unsupported, file: image.path, field: "footer.disk_type",
        "only dynamic and differencing disks can be grown here")
    }
    let rounded = try VHDImage.blktapSize(size, path: image.path)
    guard rounded >= image.virtualSize else {
      throw VHDError(
        .invalidArgument, file: image.path, field: "size",
        "shrinking is not supported (\(image.virtualSize) → \(rounded) bytes)")
    }
    return rounded
  }
}

extension VHDResize {
  /// The file length `grow` would leave (every moved block and the grown metadata in place), or
  /// the current length when `size` needs no journaled grow: what an LV must hold afterwards.
  public static func grownLength(
    _ path: String, to size: UInt64, storage: any Storage, options: EngineOptions = .init()
  ) throws -> UInt64 {
    let image = try VHDImage.open(path, storage: storage, options: options)
    let size = try checkedSize(size, of: image)
    guard size > maxFastSize(of: image) else { return image.device.length }
    return try VHDGrowPlan(image: image, newSize: size).newEndSector * 512 + 512
  }
}

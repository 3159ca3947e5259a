// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository
import VHD

/// The reads a scan or `vhd-util check` makes of one VHD (docs/storage-manager.md#per-round-costs),
/// at the offsets the blktap layout gives them (docs/vhd-format.md#blktap-layout).
///
/// A scan is sm's `vhd-util scan -f` (`vhdutil.getAllVHDs`): with `-f` blktap opens each VHD fast,
/// one read of the footer copy at 0 and the header behind it (`vhd_open_fast`,
/// `vhd_util_scan_read_volume_headers`), and takes the parent's name from the header, so it reads
/// no BAT and not the footer at the end. A check (`vhd-util check`) opens the VHD fully and
/// validates the footer, the header and every BAT entry: footer, header and BAT are read once each,
/// a lower bound (it also reads the footer copy, the BATmap and the parent locators).
enum VHDMetadataReads {
  /// Header offset and length, and where the BAT starts, in the blktap layout.
  static let headerOffset: UInt64 = 512
  static let headerLength: UInt64 = 1024
  static let batOffset: UInt64 = 1536
  /// A scan's one read: the footer copy at 0 and the header behind it.
  static let scanLength: UInt64 = headerOffset + headerLength

  /// What a GC request reads of each VHD it lists.
  enum Kind {
    /// `vhd-util scan -f`: the footer copy and the header, in one read from offset 0.
    case scan
    /// `vhd-util check`: the header, the BAT and the footer.
    case check
  }

  /// Calls `body` with the (offset, length) of each read `kind` makes of a VHD of `virtualSize`
  /// whose file is `physicalSize` bytes, without an array (a GC pass visits every VHD of the SR).
  static func forEachRange<E: Error>(
    _ kind: Kind, virtualSize: UInt64, physicalSize: UInt64, _ body: (UInt64, UInt64) throws(E) -> Void
  ) throws(E) {
    switch kind {
    case .scan:
      try body(0, scanLength)
    case .check:
      let blocks = (virtualSize + VHDSpace.blockSize - 1) / VHDSpace.blockSize
      let batBytes = (blocks * 4 + 511) / 512 * 512
      try body(headerOffset, headerLength)
      try body(batOffset, batBytes)
      if physicalSize >= 512 { try body(physicalSize - 512, 512) }
    }
  }
}

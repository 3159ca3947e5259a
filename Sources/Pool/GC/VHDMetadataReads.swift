// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository
import VHD

/// The reads a scan or `vhd-util check` makes of one VHD (docs/storage-manager.md#per-round-costs):
/// the footer at the end of the file, the header at 512 and the BAT right after the header, as the
/// blktap layout places them (docs/vhd-format.md#blktap-layout).
enum VHDMetadataReads {
  /// Header offset and length, and where the BAT starts, in the blktap layout.
  static let headerOffset: UInt64 = 512
  static let headerLength: UInt64 = 1024
  static let batOffset: UInt64 = 1536

  /// Calls `body` with the (offset, length) of the header, the BAT and the footer of a VHD of
  /// `virtualSize` whose file is `physicalSize` bytes, without an array (a GC pass visits every VHD
  /// of the SR).
  static func forEachRange<E: Error>(
    virtualSize: UInt64, physicalSize: UInt64, _ body: (UInt64, UInt64) throws(E) -> Void
  ) throws(E) {
    let blocks = (virtualSize + VHDSpace.blockSize - 1) / VHDSpace.blockSize
    let batBytes = (blocks * 4 + 511) / 512 * 512
    try body(headerOffset, headerLength)
    try body(batOffset, batBytes)
    if physicalSize >= 512 { try body(physicalSize - 512, 512) }
  }
}

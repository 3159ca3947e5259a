// SPDX-License-Identifier: GPL-3.0-or-later

/// A blktap image's BATmap in memory (docs/vhd-format.md#batmap): the header, one bit per block
/// set when the block's bitmap is full, and whether the map changed since it was last written
/// (`FooterPolicy.onClose` defers that write). The image holds it as a stored property and sets
/// bits in place, so marking a block full copies nothing.
struct BATMapState {
  /// The header when the file has a valid BATmap.
  var header: BATMapHeader? { didSet { isPresent = header != nil } }
  /// Cached `header != nil`, so the read path does not touch the header struct.
  private(set) var isPresent: Bool
  var bits: [UInt8]
  /// The map's write was deferred to close.
  var dirty = false

  init(header: BATMapHeader?, bits: [UInt8]) {
    self.header = header
    isPresent = header != nil
    self.bits = bits
  }

  /// Whether the map marks `block` full.
  @inline(__always)
  func isFull(_ block: Int) -> Bool {
    guard isPresent else { return false }
    return bits.withUnsafeBytes { SectorBitmap.test($0.baseAddress!, block) }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository
import VHD

extension SRPlacement {
  /// Gives every level of `chain` its SR volume (base first, so a chain's levels are placed in order)
  /// and returns the level → volume table. A new file volume gets extents for the bytes already in the
  /// file; a new LV gets its whole size: a leaf is inflated to hold every block, a read-only parent is
  /// deflated to its file size, as the LVM SR's storage manager sizes them
  /// (docs/storage-manager.md#lvm-inflate-and-deflate).
  mutating func attachVolumes(of chain: VHDChain) throws(PoolError) -> [Int] {
    var volumes = [Int](repeating: 0, count: chain.depth)
    for level in stride(from: chain.depth - 1, through: 0, by: -1) {
      let image = chain.images[level]
      let fileBytes = image.device.length
      var size = fileBytes
      if kind == .lvm, image.isWritable, let header = image.header {
        let layout = BlktapLayout(maxTableEntries: header.maxTableEntries, tableOffset: header.tableOffset)
        let perBlock = UInt64(header.blockSize) + 512 * UInt64(header.bitmapSectors)
        size = Swift.max(
          fileBytes, layout.locatorsOffset + 64 << 10 + UInt64(header.maxTableEntries) * perBlock)
      }
      let fresh = volume(named: image.path) == nil
      let v = try attach(image.path, size: size)
      if fresh && kind == .file { try reserve(volume: v, upTo: fileBytes) }
      volumes[level] = v
    }
    return volumes
  }
}

extension SRKind {
  /// How this SR lays its VHDs out on the device: a file SR's files, or an LVM SR's logical volumes.
  public var placementKind: SRPlacement.Kind {
    switch self {
    case .file: .file
    case .lvm: .lvm
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// Puts a damaged BATmap right on a read-write open.
enum BATMapRepair {
  /// Rebuilds the BATmap in memory from the bitmaps: a block's bit is set when its bitmap is full
  /// (the only thing the map promises, docs/vhd-format.md#batmap). The map is marked dirty, so the
  /// image's first BATmap write, flush or close writes header and whole map together
  /// (docs/vhd-format.md#crash-safety); until then the file is unchanged. A read-write open calls it for a BATmap whose header is
  /// sound but whose map disagrees with its checksum or with the BAT (a writer stopped between the
  /// two writes, or tapdisk killed before close).
  static func rebuild(_ image: VHDImage) throws {
    var work = LevelWork()
    for block in 0..<image.blockCount where image.blockEntry(block) != nil {
      let bitmap = try image.loadBitmap(block, work: &work)
      if SectorBitmap.allSet(bitmap, 0, image.sectorsPerBlock) {
        image.batmap.bits.withUnsafeMutableBytes { SectorBitmap.set($0.baseAddress!, block) }
      }
    }
    image.batmap.dirty = true
  }
}

extension MetadataReader {
  /// The BATmap header when `error` is one a rebuild can repair: the header itself is sound (cookie,
  /// version, size and offset checked before the map is) and only the map's checksum or content is
  /// wrong.
  func rebuildableBATMapHeader(_ error: VHDError, layout: BlktapLayout) -> BATMapHeader? {
    guard error.field == "batmap.checksum" || error.field == "batmap.map",
      let raw = try? read(512, at: layout.batmapHeaderOffset, field: "batmap")
    else { return nil }
    return BATMapHeader(decoding: raw)
  }
}

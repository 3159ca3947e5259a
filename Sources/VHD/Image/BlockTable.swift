// SPDX-License-Identifier: GPL-3.0-or-later

/// A sparse image's BAT in memory and what follows from it: which blocks are allocated and where
/// the next one goes. The image holds it as a stored property and allocation mutates its fields in
/// place (`blockTable.entries[block] = …`), so neither the read nor the write path copies it.
struct BlockTable {
  /// BAT entries (all `max_table_entries`); `VHDImage.unusedEntry` = not allocated.
  var entries: [UInt32]
  /// Bytes of the BAT's last sector after entry N−1 (zeros from blktap, 0xFF from qemu), kept so
  /// that rewriting that sector does not change them.
  var padding: [UInt8]
  /// Allocated entries among the first `blockCount`.
  var allocatedCount: Int
  /// First sector after metadata and every allocated block: where the next block goes.
  var endOfDataSector: UInt64

  /// A table whose allocated count and data end the caller already knows: the open's BAT check
  /// (`MetadataReader.validate`) finds both in its own pass over the entries, and a new image has
  /// none allocated.
  init(entries: [UInt32], padding: [UInt8], allocatedCount: Int, endOfDataSector: UInt64) {
    self.entries = entries
    self.padding = padding
    self.allocatedCount = allocatedCount
    self.endOfDataSector = endOfDataSector
  }

  init(entries: [UInt32], padding: [UInt8], layout: BlockLayout) {
    self.entries = entries
    self.padding = padding
    var end = layout.metadataEndSector
    var allocated = 0
    for i in 0..<min(layout.blockCount, entries.count) where entries[i] != VHDImage.unusedEntry {
      allocated += 1
      end = max(end, UInt64(entries[i]) + UInt64(layout.bitmapSectors + layout.sectorsPerBlock))
    }
    endOfDataSector = end
    allocatedCount = allocated
  }
}

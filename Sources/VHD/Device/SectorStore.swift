// SPDX-License-Identifier: GPL-3.0-or-later

/// The stored metadata sectors of a metadata-only file: sector index → its 512 bytes.
///
/// A sector whose bits form at most two runs of ones (`SectorRuns`: all ones, all zeros, the bitmap
/// of a block written once or twice) keeps no bytes of its own: its entry holds the run code
/// instead of an arena slot, and the first write that breaks the pattern gives it a slot (copy on
/// write), which it gives back when its bytes fall into a pattern again. Why: most stored sectors
/// of a large chain are bitmaps of fully written blocks and BAT sectors of unallocated entries,
/// both all ones.
final class SectorStore {
  static let size = 512

  /// Where a stored sector's bytes are: an arena slot (non-negative) or a `SectorRuns` code.
  typealias Slot = Int64

  /// Sectors per occupancy group: one bit each in a group's mask.
  static let groupShift: UInt64 = 6

  private let arena = SlotArena(slotSize: SectorStore.size, chunkBytes: SlotArena.smallChunkBytes)
  private var slots: [UInt64: Slot] = [:]
  /// Which sectors of each group of 64 are stored (group → mask, bit `i` = sector `64g + i`), so a
  /// scan of a range asks once per group instead of once per sector (most groups hold one bitmap).
  private var groups: [UInt64: UInt64] = [:]

  /// Sectors stored.
  var count: Int { slots.count }

  /// Sectors stored with bytes of their own (not a run code).
  var ownedCount: Int { arena.slotsInUse }

  /// Where `sector`'s bytes are, or nil when it is not stored.
  func slot(_ sector: UInt64) -> Slot? { slots[sector] }

  /// Which sectors of group `group` (sectors `64 * group ..< 64 * group + 64`) are stored.
  func storedMask(group: UInt64) -> UInt64 { groups[group] ?? 0 }

  /// Copies `count` bytes from `offset` within a stored sector to `destination`.
  func copy(_ slot: Slot, from offset: Int, count: Int, to destination: UnsafeMutableRawPointer) {
    if slot < 0 {
      SectorRuns.copy(slot, from: offset, count: count, to: destination)
    } else {
      destination.copyMemory(from: arena.pointer(Int32(slot)) + offset, byteCount: count)
    }
  }

  /// Writes `count` bytes from `source` at `offset` within `sector`, storing the sector (the rest
  /// zero) if it was not.
  func write(_ sector: UInt64, _ source: UnsafeRawPointer, at offset: Int, count: Int) {
    let existing = slots[sector]
    if existing == nil { groups[sector >> Self.groupShift, default: 0] |= 1 << (sector & 63) }
    if count == Self.size, let code = SectorRuns.code(of: source) {
      if let existing, existing >= 0 { arena.release(Int32(existing)) }
      slots[sector] = code
      return
    }
    let slot = owned(existing, overwritten: count == Self.size)
    (arena.pointer(slot) + offset).copyMemory(from: source, byteCount: count)
    settle(sector, slot)
  }

  /// Zeroes `count` bytes from `offset` within a stored sector (part of it: whole sectors are
  /// `remove`d).
  func zero(_ sector: UInt64, _ slot: Slot, from offset: Int, count: Int) {
    guard slot != SectorRuns.zeros else { return }
    let owned = owned(slot, overwritten: false)
    DeviceSupport.zero(arena.pointer(owned) + offset, count)
    settle(sector, owned)
  }

  /// Forgets a stored sector.
  func remove(_ sector: UInt64, _ slot: Slot) {
    slots.removeValue(forKey: sector)
    let group = sector >> Self.groupShift
    let mask = (groups[group] ?? 0) & ~(1 << (sector & 63))
    groups[group] = mask == 0 ? nil : mask
    if slot >= 0 { arena.release(Int32(slot)) }
  }

  /// Gives the arena's memory back when no sector owns bytes.
  func releaseAllIfEmpty() {
    arena.releaseAllIfEmpty()
  }

  /// A slot of the sector's own holding its current bytes (zeros when it was not stored), unless
  /// the caller is about to overwrite all of them.
  private func owned(_ existing: Slot?, overwritten: Bool) -> Int32 {
    if let existing, existing >= 0 { return Int32(existing) }
    let slot = arena.allocate(zeroed: false)
    if !overwritten { SectorRuns.decode(existing ?? SectorRuns.zeros, into: arena.pointer(slot)) }
    return slot
  }

  /// Records `slot` as `sector`'s bytes, or the run code they turned into (releasing the slot).
  private func settle(_ sector: UInt64, _ slot: Int32) {
    if let code = SectorRuns.code(of: UnsafeRawPointer(arena.pointer(slot))) {
      arena.release(slot)
      slots[sector] = code
    } else {
      slots[sector] = Slot(slot)
    }
  }
}

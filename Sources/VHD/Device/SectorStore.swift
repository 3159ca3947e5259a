// SPDX-License-Identifier: GPL-3.0-or-later

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The stored metadata sectors of a metadata-only file: sector index → its 512 bytes.
///
/// A sector whose bytes are all 0xFF or all zero keeps no bytes of its own: its entry names the
/// pattern instead of an arena slot, and the first write that breaks the pattern gives it a slot
/// (copy on write). Why: the bitmap sector of every fully written VHD block is all ones, and so is
/// every BAT sector of unallocated entries, so most stored sectors of a large chain are one of the
/// two patterns.
final class SectorStore {
  static let size = 512

  /// Where a stored sector's bytes are: an arena slot (non-negative) or a pattern.
  typealias Slot = Int32
  static let ones: Slot = -1
  static let zeros: Slot = -2

  private let arena = SlotArena(slotSize: SectorStore.size)
  private var slots: [UInt64: Slot] = [:]

  /// Sectors stored.
  var count: Int { slots.count }

  /// Sectors stored with bytes of their own (not a pattern).
  var ownedCount: Int { arena.slotsInUse }

  var isEmpty: Bool { slots.isEmpty }

  /// Where `sector`'s bytes are, or nil when it is not stored.
  func slot(_ sector: UInt64) -> Slot? { slots[sector] }

  /// Copies `count` bytes from `offset` within a stored sector to `destination`.
  func copy(_ slot: Slot, from offset: Int, count: Int, to destination: UnsafeMutableRawPointer) {
    switch slot {
    case Self.ones: _ = memset(destination, 0xFF, count)
    case Self.zeros: DeviceSupport.zero(destination, count)
    default: destination.copyMemory(from: arena.pointer(slot) + offset, byteCount: count)
    }
  }

  /// Writes `count` bytes from `source` at `offset` within `sector`, storing the sector (the rest
  /// zero) if it was not.
  func write(_ sector: UInt64, _ source: UnsafeRawPointer, at offset: Int, count: Int) {
    let existing = slots[sector]
    if count == Self.size, let pattern = Self.pattern(of: source) {
      if let existing, existing >= 0 { arena.release(existing) }
      slots[sector] = pattern
      return
    }
    let slot = owned(existing, overwritten: count == Self.size)
    (arena.pointer(slot) + offset).copyMemory(from: source, byteCount: count)
    settle(sector, slot)
  }

  /// Zeroes `count` bytes from `offset` within a stored sector (part of it: whole sectors are
  /// `remove`d).
  func zero(_ sector: UInt64, _ slot: Slot, from offset: Int, count: Int) {
    guard slot != Self.zeros else { return }
    let owned = owned(slot, overwritten: false)
    DeviceSupport.zero(arena.pointer(owned) + offset, count)
    settle(sector, owned)
  }

  /// Forgets a stored sector.
  func remove(_ sector: UInt64, _ slot: Slot) {
    slots.removeValue(forKey: sector)
    if slot >= 0 { arena.release(slot) }
  }

  /// Gives the arena's memory back when no sector owns bytes.
  func releaseAllIfEmpty() {
    arena.releaseAllIfEmpty()
  }

  /// A slot of the sector's own holding its current bytes (zeros when it was not stored), unless
  /// the caller is about to overwrite all of them.
  private func owned(_ existing: Slot?, overwritten: Bool) -> Slot {
    if let existing, existing >= 0 { return existing }
    let slot = arena.allocate(zeroed: false)
    if !overwritten {
      _ = memset(arena.pointer(slot), existing == Self.ones ? 0xFF : 0, Self.size)
    }
    return slot
  }

  /// Records `slot` as `sector`'s bytes, or the pattern they turned into (releasing the slot).
  private func settle(_ sector: UInt64, _ slot: Slot) {
    if let pattern = Self.pattern(of: UnsafeRawPointer(arena.pointer(slot))) {
      arena.release(slot)
      slots[sector] = pattern
    } else {
      slots[sector] = slot
    }
  }

  /// The pattern 512 bytes at `bytes` follow, if any.
  private static func pattern(of bytes: UnsafeRawPointer) -> Slot? {
    let first = bytes.loadUnaligned(as: UInt64.self)
    guard first == 0 || first == ~0 else { return nil }
    for word in 1..<(size >> 3) where bytes.loadUnaligned(fromByteOffset: word << 3, as: UInt64.self) != first
    {
      return nil
    }
    return first == 0 ? zeros : ones
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// One stored sector of a 2 MiB chunk packed into a word: its chunk-local index and where its bytes
/// are (an arena slot, a run-list code or a `SectorRuns` code). How `SectorStore` keeps the single
/// stored sector of most chunks in the chunk's map entry, and the sectors of busier chunks in a
/// sorted list.
///
/// Why: a slot is below 2³¹, a run-list code's name (`CodedSector`) bit 49 over a class and a slot,
/// and a run code is bit 63 over a `BitRunPair`, which takes the low 50 bits, so each fits in 50
/// bits beside a flag and the 12-bit index. Layout: the slot, the run-list code's name, or the run
/// code's low 50 bits in bits 0-49, bit 50 set for a run code, the index in bits 51-62; bit 63 clear,
/// so words sort by index and the chunk entry can use bit 63 to tell a packed sector from a list.
struct PackedSector {
  private static let codeFlag: UInt64 = 1 << 50
  private static let payloadMask: UInt64 = codeFlag - 1
  private static let localShift: UInt64 = 51

  let raw: UInt64

  init(raw: UInt64) {
    self.raw = raw
  }

  init(local: Int, slot: SectorStore.Slot) {
    let bits = UInt64(bitPattern: slot)
    let payload = slot < 0 ? Self.codeFlag | bits & Self.payloadMask : bits
    raw = UInt64(local) << Self.localShift | payload
  }

  /// The smallest word of chunk-local sector `local`: a sorted list's words of sectors at or after
  /// `local` are those not below it.
  @inline(__always)
  static func first(of local: Int) -> UInt64 { UInt64(local) << localShift }

  /// The chunk-local sector index.
  @inline(__always)
  var local: Int { Int(raw >> Self.localShift & 0xFFF) }

  /// The slot or run code.
  @inline(__always)
  var slot: SectorStore.Slot {
    let payload = raw & Self.payloadMask
    return raw & Self.codeFlag != 0 ? SectorRuns.zeros | Int64(payload) : Int64(payload)
  }
}

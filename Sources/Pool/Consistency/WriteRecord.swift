// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// One guest write as the pool's write log keeps it (pools with `recordWrites` on).
///
/// The log of a VDI is in the order the tapdisk handed writes to the engine, which is the order their
/// data lands in the chain (the engine call is made when the tapdisk takes the request; the disk model
/// only times it). `sequence` is the index in that log and names the write's data (`SectorTag`).
public struct WriteRecord: Sendable, Equatable {
  /// Index in the VDI's write log.
  public var sequence: Int
  public var vm: Int
  /// The generator's `GuestRequest.sequence` (−1 for the built-in workload).
  public var guestSequence: Int
  public var lba: UInt64
  public var sectors: Int
  /// When the tapdisk took the request (and the engine wrote its data).
  public var dispatched: SimTime
  /// When the guest saw it complete (nil: still in flight when the run stopped).
  public var completed: SimTime?

  public init(
    sequence: Int, vm: Int, guestSequence: Int, lba: UInt64, sectors: Int, dispatched: SimTime,
    completed: SimTime? = nil
  ) {
    self.sequence = sequence
    self.vm = vm
    self.guestSequence = guestSequence
    self.lba = lba
    self.sectors = sectors
    self.dispatched = dispatched
    self.completed = completed
  }
}

/// The data a recorded write carries: every 512-byte sector holds 64 copies of one 64-bit tag naming
/// the write (its index in the VDI's write log) and the sector, so a sector read back says exactly
/// which write put it there. Tag 0 is "never written by a guest" (consistency runs start on an empty
/// chain, which reads as zeros).
public enum SectorTag {
  static let lbaBits: UInt64 = 36
  static let lbaMask: UInt64 = (1 << 36) - 1

  /// The tag of sector `lba` written by write `write` of the log (write < 2²⁸, lba < 2³⁶).
  @inlinable
  public static func tag(write: Int, lba: UInt64) -> UInt64 {
    (UInt64(write + 1) << 36) | (lba & ((1 << 36) - 1))
  }

  /// The write log index a tag names (nil for 0, never written).
  public static func write(of tag: UInt64) -> Int? { tag == 0 ? nil : Int(tag >> lbaBits) - 1 }

  /// The sector (modulo 2³⁶) a tag names.
  public static func lba(of tag: UInt64) -> UInt64 { tag & lbaMask }

  /// "write #n @lba" or "unwritten"; anything else (a torn or foreign sector) in hex.
  public static func describe(_ tag: UInt64) -> String {
    guard let w = write(of: tag) else { return "unwritten" }
    return "write #\(w) @\(lba(of: tag))"
  }

  /// Fills `sectors` sectors at `pointer` with the tags of write `write` starting at `lba`.
  static func fill(_ pointer: UnsafeMutableRawPointer, write: Int, lba: UInt64, sectors: Int) {
    let words = pointer.assumingMemoryBound(to: UInt64.self)
    for s in 0..<sectors {
      let t = tag(write: write, lba: lba + UInt64(s)).littleEndian
      let base = words + s * 64
      for k in 0..<64 { base[k] = t }
    }
  }
}

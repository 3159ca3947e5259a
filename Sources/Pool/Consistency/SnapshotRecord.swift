// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// One snapshot of a running pool: when it was asked for, paused, taken and resumed, where its content
/// is, and which writes it must hold.
///
/// It is an SR double snapshot (a VM snapshot): the leaf the VDI was writing becomes a hidden base copy
/// with two new children, the VDI's new leaf and the snapshot VDI, so `imagePath` is the snapshot
/// VDI's path and the snapshot's content is the chain ending there.
public struct SnapshotRecord: Sendable, Equatable {
  public var index: Int
  public var vdi: Int
  /// Deliberately broken: taken while writes are in flight, which then land in the new leaf.
  public var skipDrain: Bool
  /// When it was scheduled for.
  public var requestedAt: SimTime
  /// When the tapdisk paused (new requests held from here). Later than `requestedAt` when another
  /// pause or snapshot of the VDI was still in progress.
  public var pausedAt: SimTime?
  /// When the snapshot was made (after the drain, or at the pause with `skipDrain`).
  public var takenAt: SimTime?
  /// When the tapdisk ran again on the new chain (reopen finished).
  public var resumedAt: SimTime?
  /// The snapshot VDI's leaf.
  public var imagePath: String?
  /// The VDI's new leaf.
  public var leafPath: String?
  /// Writes of the VDI's log before the snapshot: `0..<cut`. These are the writes the tapdisk had taken
  /// when it paused (completed, or in flight and so drained before the snapshot).
  public var cut: Int
  /// Log indices of the writes in flight at the pause.
  public var inFlightWrites: [Int]

  /// How long the VDI served no new request: pause to resume.
  public var stall: SimTime? {
    guard let p = pausedAt, let r = resumedAt else { return nil }
    return r - p
  }
}

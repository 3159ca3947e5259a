// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository

/// One storage-repository operation a pool scheduled (snapshot, delete, scan), with what happened
/// to it. Snapshots pause the VDI's tapdisk around `SR.snapshot` (drain, close, snapshot, reopen);
/// deletes and scans kick the GC.
public struct SROperationRecord: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    /// Snapshot the attached VDI (tapdisk index).
    case snapshot(vdi: Int, kind: SnapshotKind)
    /// Delete a VDI by uuid.
    case delete(uuid: String)
    /// Delete the snapshot VDIs (second leaves) that these earlier snapshot operations made.
    case deleteSnapshots(of: [Int])
    /// `sr_scan`.
    case scan
  }

  public var index: Int
  public var kind: Kind
  public var requestedAt: SimTime
  /// When the operation ran (for a snapshot: when the snapshot was taken, after the drain).
  public var performedAt: SimTime?
  /// Snapshot: when the tapdisk paused and when it ran again on the new chain.
  public var pausedAt: SimTime?
  public var resumedAt: SimTime?
  /// Snapshot: the new snapshot VDI (double) and the base copy left behind.
  public var snapshotUUID: String?
  public var baseCopyUUID: String?
  /// Deletes: the VDIs actually deleted.
  public var deleted: [String] = []
  /// A backup's retirement: the snapshot VDIs it is to delete once it holds the SR lock.
  var pendingDeletes: [String]?
  /// The SR's refusal, if any (`SRError` text).
  public var error: String?
  /// Backup schedule that made it (index), or nil.
  public var backup: Int?
  /// The consistency record (index in `PoolSimulation.snapshots`) of a snapshot scheduled with
  /// `scheduleSnapshot`.
  public var journalSnapshot: Int?
}

/// A nightly-backup style schedule: every `period`, snapshot each VDI (double), keep the `keep`
/// newest snapshots per VDI and delete the older ones (each delete kicks the GC).
struct BackupSchedule {
  var vdis: [Int]
  var period: SimTime
  var keep: Int
  var until: SimTime
  /// Per VDI (same order as `vdis`): snapshot uuids, oldest first.
  var kept: [[String]]
}

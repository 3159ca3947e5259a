// SPDX-License-Identifier: GPL-3.0-or-later

/// The SR operations a crash sweep cuts at every physical write (issue 5, "Faults: nothing lost").
/// Each one is set up deterministically from a seed and driven step by step with the guest's writes
/// between the steps, as a host would interleave them.
public enum CrashSweepOperation: String, CaseIterable, Sendable {
  /// `vdi_snapshot` (double) of an attached VDI with data (docs/storage-manager.md#lvm-snapshot).
  case snapshot
  /// Non-leaf coalesce with relink: B1 → B2 → {V, S2} after S1 was deleted; B2 goes into B1, V and
  /// S2 are relinked onto B1, B2 is deleted (docs/storage-manager.md#non-leaf-coalesce).
  case coalesce
  /// Live leaf coalesce after the only snapshot was deleted
  /// (docs/storage-manager.md#live-leaf-coalesce): the tapdisk is paused, so the guest writes only
  /// after the swap.
  case leafLive = "leaf-live"
  /// Snapshot-coalesce (docs/storage-manager.md#snapshot-coalesce): internal snapshot of the leaf,
  /// guest writes to the new leaf, non-leaf coalesce of the new hidden parent, then the live leaf
  /// step.
  case leafSnapshotCoalesce = "leaf-snapshot-coalesce"
  /// Offline leaf coalesce: the VM is suspended (its VBD unplugged) around the same SR steps as
  /// `leafLive`, then resumed.
  case leafOffline = "leaf-offline"
  /// Mirror leaf coalesce: copy passes while the guest writes and dirties blocks, `recopy(blocks:)`
  /// passes over the dirtied blocks, a last pass paused, then the swap.
  case leafMirror = "leaf-mirror"
  /// `coalesce` with B2 larger than B1 (V was resized before the second snapshot): B1 grows to
  /// B2's virtual size first, its BAT outgrowing its sector so a data block moves
  /// (docs/storage-manager.md#parent-growth).
  case coalesceGrow = "coalesce-grow"
  /// `leaf-live` with V larger than its parent (V was resized after the snapshot): the parent
  /// grows to V's virtual size inside the paused step, as `_doCoalesceLeaf` does.
  case leafLiveGrow = "leaf-live-grow"

  /// The name used on the command line and in reports.
  public var name: String { rawValue }

  /// The operation called `name`, or `CrashSweepError.unknownOperation`.
  public init(name: String) throws(CrashSweepError) {
    guard let op = Self(rawValue: name) else {
      throw .unknownOperation(name, known: Self.allCases.map(\.name))
    }
    self = op
  }

  /// One line saying what the operation does and where the guest writes.
  public var summary: String {
    switch self {
    case .snapshot:
      "double snapshot of an attached VDI with data"
    case .coalesce:
      "non-leaf coalesce B2 into B1, relink V and S2, delete B2; guest writes to V between steps"
    case .leafLive:
      "leaf coalesce of V into its parent with the identity swap; tapdisk paused, guest writes after"
    case .leafSnapshotCoalesce:
      "internal snapshot of V, guest writes, coalesce of the new hidden parent, then the live leaf step"
    case .leafOffline:
      "as leaf-live with the VM suspended: VBD unplugged (thin LV deflated) before, plugged after"
    case .leafMirror:
      "copy pass and recopy passes while the guest writes, last pass paused, swap"
    case .coalesceGrow:
      "as coalesce with B2 resized larger than B1: B1 grows first (journaled, a block moves)"
    case .leafLiveGrow:
      "as leaf-live with V resized larger than its parent: the parent grows first (journaled)"
    }
  }
}

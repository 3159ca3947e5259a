// SPDX-License-Identifier: GPL-3.0-or-later

/// `VDI.SNAPSHOT_*` (docs/storage-manager.md#snapshot-kinds): what a snapshot leaves behind besides
/// the hidden base copy.
public enum SnapshotKind: Equatable, Sendable {
  /// Two leaves under the base copy: the VDI (original uuid and path) and the snapshot. The
  /// default of `vdi_snapshot`, and what `vdi_clone` always does.
  case double
  /// One leaf (the VDI) under a read-only base copy; no second VDI.
  case single
  /// Like single, but the SR's virtual allocation is not updated (the GC's snapshot-coalesce uses it).
  case `internal`

  /// Whether a second leaf is created.
  public var createsSecondLeaf: Bool { self == .double }
}

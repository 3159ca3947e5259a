// SPDX-License-Identifier: GPL-3.0-or-later

/// What xapi keeps about one VDI: a database record, separate from the VHD node it names. The
/// storage manager creates one for every user disk, snapshot and clone, and one (managed = false,
/// label "base copy") for the hidden parent a snapshot leaves behind.
public struct VDIRecord: Equatable, Sendable {
  /// The VDI's uuid, which is also the name of its VHD node (`<uuid>.vhd` or `VHD-<uuid>`).
  public var uuid: String
  public var nameLabel: String
  /// Set on the second leaf of `vdi_snapshot` (never on a clone), so tools know it is a snapshot.
  public var isSnapshot: Bool
  /// False for base copies: the storage manager refuses to delete an unmanaged VDI.
  public var managed: Bool
  /// Mirrors the hidden bit of the VHD footer: hidden VDIs are never shown or used as disks.
  public var hidden: Bool
  /// Base copies are made read-only once both leaves exist.
  public var readOnly: Bool
  /// Path of the VHD node in the SR's storage.
  public var path: String

  public init(
    uuid: String, nameLabel: String, isSnapshot: Bool = false, managed: Bool = true, hidden: Bool = false,
    readOnly: Bool = false, path: String
  ) {
    self.uuid = uuid
    self.nameLabel = nameLabel
    self.isSnapshot = isSnapshot
    self.managed = managed
    self.hidden = hidden
    self.readOnly = readOnly
    self.path = path
  }

  /// The label xapi gives to the hidden parent of a snapshot or clone.
  public static let baseCopyLabel = "base copy"
}

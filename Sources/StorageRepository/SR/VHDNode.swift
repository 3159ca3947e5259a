// SPDX-License-Identifier: GPL-3.0-or-later

/// One VHD of the SR as the GC sees it after a scan (docs/storage-manager.md#scan-and-tree): its
/// own uuid, its parent's, the hidden bit and the sizes the space rules need. It is a value, so a
/// GC plan can be made from a hand-built tree as well as from files.
public struct VHDNode: Equatable, Sendable {
  /// The node's uuid (the VDI uuid in its name, not the footer's unique id).
  public var uuid: String
  /// Where the node is in the SR's storage ("" for hand-built trees).
  public var path: String
  /// The parent node's uuid; nil for a root.
  public var parent: String?
  public var hidden: Bool
  public var virtualSize: UInt64
  /// Physical utilisation: the file's length (end of data plus metadata).
  public var physicalSize: UInt64
  /// Allocated BAT entries (each one 2 MiB of allocated size).
  public var allocatedBlocks: Int
  /// A node the scan could not read is never coalesced and never pruned.
  public var scanError: Bool

  public init(
    uuid: String, path: String = "", parent: String? = nil, hidden: Bool = false, virtualSize: UInt64 = 0,
    physicalSize: UInt64 = 0, allocatedBlocks: Int = 0, scanError: Bool = false
  ) {
    self.uuid = uuid
    self.path = path
    self.parent = parent
    self.hidden = hidden
    self.virtualSize = virtualSize
    self.physicalSize = physicalSize
    self.allocatedBlocks = allocatedBlocks
    self.scanError = scanError
  }

  /// `allocated size` in the storage manager's sense: allocated blocks × 2 MiB.
  public var allocatedSize: UInt64 { UInt64(allocatedBlocks) * VHDSpace.blockSize }
}

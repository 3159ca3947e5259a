// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// `vdi_delete` and the GC's garbage removal (docs/storage-manager.md#delete). User VDIs are leaves
/// and go at once; a base copy is never deleted directly: it becomes garbage or disappears through
/// coalescing.
extension SR {
  /// Deletes the leaf VDI `uuid`: its node file (or LV) and its record. A base copy left with fewer
  /// children stays for the GC, which the caller should kick.
  public func delete(_ uuid: String) throws(SRError) {
    let record = try record(uuid)
    let tree = try scanTree()
    guard tree.isLeaf(uuid) else { throw .notALeaf(uuid) }
    guard record.managed else { throw .unmanagedVDI(uuid) }
    guard !isAttached(uuid) else { throw .vdiInUse(uuid) }
    let virtualSize = tree.node(uuid)?.virtualSize ?? 0
    try removeNode(uuid, path: record.path)
    if !record.hidden {
      virtualAllocation = virtualAllocation > virtualSize ? virtualAllocation - virtualSize : 0
    }
  }

  /// The GC's "delete all garbage" step: removes each node in `uuids` (children first, as
  /// `GCPlan.garbage` lists them) with its record, if any.
  public func collectGarbage(_ uuids: [String]) throws(SRError) {
    for uuid in uuids { try removeNode(uuid, path: records[uuid]?.path ?? path(of: uuid)) }
  }

  func removeNode(_ uuid: String, path: String) throws(SRError) {
    try SRError.engine(path) { try storage.remove(path) }
    records[uuid] = nil
    lvSizes[uuid] = nil
    attachments[uuid] = nil
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// VBD plug/unplug bookkeeping and the LVM inflate/deflate that goes with it
/// (docs/storage-manager.md#thin-and-thick). The tapdisk itself (pause, drain, reopen) belongs to
/// the host; the SR only sizes LVs and counts users.
extension SR {
  /// Attaches `uuid`. A writable attach of an LVM leaf inflates its LV to the fully inflated size
  /// (error 180 when the VG lacks the space); a read-only attach changes nothing.
  public func attach(_ uuid: String, writable: Bool) throws(SRError) {
    let record = try record(uuid)
    guard !record.hidden else { throw .hiddenVDI(uuid) }
    guard !(writable && record.readOnly) else { throw .readOnlyVDI(uuid) }
    if writable, case .lvm = kind {
      let virtualSize = try SRError.engine(record.path) {
        try VHDImage.open(record.path, storage: storage, options: engineOptions).virtualSize
      }
      let full = VHDSpace.fullyInflatedLVSize(virtualSize: virtualSize)
      let current = lvSizes[uuid] ?? 0
      if full > current {
        let free = try space.freeSpace()
        guard full - current <= free else { throw .insufficientSpace(needed: full - current, free: free) }
        lvSizes[uuid] = full
      }
    }
    var a = attachments[uuid] ?? Attachment()
    if writable { a.readWrite += 1 } else { a.readOnly += 1 }
    attachments[uuid] = a
  }

  /// Detaches one writable or read-only use of `uuid`. When the last use goes, a thin SR deflates
  /// the LV to its physical size; a thick SR deflates only snapshots.
  public func detach(_ uuid: String, writable: Bool) throws(SRError) {
    let record = try record(uuid)
    guard var a = attachments[uuid], writable ? a.readWrite > 0 : a.readOnly > 0 else {
      throw .notAttached(uuid)
    }
    if writable { a.readWrite -= 1 } else { a.readOnly -= 1 }
    attachments[uuid] = a.isEmpty ? nil : a
    guard a.isEmpty, case .lvm(let provisioning) = kind else { return }
    guard provisioning == .thin || record.isSnapshot else { return }
    let deflated = VHDSpace.lvSize(try space.fileSize(record.path))
    if let current = lvSizes[uuid], deflated < current { lvSizes[uuid] = deflated }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// Space accounting (docs/storage-manager.md#lvm-inflate-and-deflate,
/// docs/storage-manager.md#coalesce-space): what the SR reports and what the GC and snapshots test
/// against. It takes the SR and reads its files, LV sizes and journals afresh on every question.
public struct SRSpace {
  let sr: SR

  /// Length of the node file at `path` (a VHD's physical utilisation).
  func fileSize(_ path: String) throws(SRError) -> UInt64 {
    try SRError.engine(path) { try sr.storage.open(path, writable: false).length }
  }

  /// SR `physical_utilisation`: the VG's used extents (sum of LV sizes, journal LVs included) on
  /// LVM, the used bytes (node and journal files) on a file SR.
  public func physicalUtilisation() throws(SRError) -> UInt64 {
    switch sr.kind {
    case .lvm:
      return sr.lvSizes.total + (try sr.journals.space())
    case .file:
      let names = try SRError.engine(sr.directory) { try sr.storage.list(directory: sr.directory) }
      var total: UInt64 = 0
      for name in names where sr.kind.uuid(ofNodeName: name) != nil {
        total += try fileSize(VHDPath.join(sr.directory, name))
      }
      return total + (try sr.journals.space())
    }
  }

  /// Free space the GC and snapshots test against: free extents (LVM), size − used (file).
  public func freeSpace() throws(SRError) -> UInt64 {
    let used = try physicalUtilisation()
    return sr.capacity > used ? sr.capacity - used : 0
  }

  /// VDI `physical_utilisation`: the LV size on LVM, the file size on a file SR.
  public func physicalUtilisation(of uuid: String) throws(SRError) -> UInt64 {
    switch sr.kind {
    case .lvm: return sr.lvSizes[uuid] ?? 0
    case .file: return try fileSize(sr.path(of: uuid))
    }
  }

  /// D of docs/storage-manager.md#coalesce-space: |BAT(child) ∪ BAT(parent)| × 2 MiB, read fresh
  /// from both images.
  public func coalesceUnion(child: String, parent: String) throws(SRError) -> UInt64 {
    let (childPath, parentPath) = (sr.path(of: child), sr.path(of: parent))
    let a = try SRError.engine(childPath) {
      try VHDImage.open(childPath, storage: sr.storage, options: sr.engineOptions)
    }
    let b = try SRError.engine(parentPath) {
      try VHDImage.open(parentPath, storage: sr.storage, options: sr.engineOptions)
    }
    return UInt64(a.allocatedBlockUnion(with: b)) * VHDSpace.blockSize
  }

  /// Extra space a non-leaf coalesce of `child` into its parent needs
  /// (docs/storage-manager.md#coalesce-space, first row).
  public func coalesceExtraSpace(child: String, in tree: VHDTree) throws(SRError) -> UInt64 {
    guard let node = tree.node(child), let parent = node.parent, let p = tree.node(parent) else { return 0 }
    let union = try coalesceUnion(child: child, parent: parent)
    switch sr.kind {
    case .file:
      return VHDSpace.fileCoalesceExtra(
        union: union, childVirtualSize: node.virtualSize, parentPhysical: p.physicalSize)
    case .lvm:
      let lv = sr.lvSizes[parent] ?? 0
      let formula = VHDSpace.lvmCoalesceExtra(union: union, parentLV: lv)
      guard node.virtualSize > p.virtualSize else { return formula }
      // A parent growing to the child's size must also hold its grown file
      // (docs/storage-manager.md#parent-growth); sm's formula covers that in practice.
      let path = sr.path(of: parent)
      let grown = VHDSpace.lvSize(
        try SRError.engine(path) {
          try VHDResize.grownLength(
            path, to: node.virtualSize, storage: sr.storage, options: sr.engineOptions)
        })
      return max(formula, grown > lv ? grown - lv : 0)
    }
  }

  /// Extra space a live leaf coalesce of `leaf` into its parent needs
  /// (docs/storage-manager.md#coalesce-space, second row): as the non-leaf case on a file SR; on
  /// LVM less what deflating the leaf first gives back.
  public func leafCoalesceExtraSpace(leaf: String, in tree: VHDTree) throws(SRError) -> UInt64 {
    let extra = try coalesceExtraSpace(child: leaf, in: tree)
    guard case .lvm = sr.kind, let node = tree.node(leaf) else { return extra }
    let lv = sr.lvSizes[leaf] ?? 0
    let deflated = VHDSpace.lvSize(node.physicalSize)
    let giveBack = lv > deflated ? lv - deflated : 0
    return extra > giveBack ? extra - giveBack : 0
  }
}

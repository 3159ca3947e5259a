// SPDX-License-Identifier: GPL-3.0-or-later

extension SRSpace {
  /// Extra space sm requires before it picks a leaf for leaf coalesce
  /// (docs/storage-manager.md#leaf-space-check): the coalesce's own extra space plus the leaf a
  /// snapshot-coalesce round makes — an empty VHD's metadata on a file SR, an LV the size of the
  /// leaf's physical size (rounded to the 4 MiB extent) on LVM. Summed signed, as sm does (a parent
  /// already larger than the union lowers the total), and 0 when negative.
  public func snapshotCoalesceExtraSpace(leaf: String, in tree: VHDTree) throws(SRError) -> UInt64 {
    guard let node = tree.node(leaf), let parent = node.parent, let p = tree.node(parent) else { return 0 }
    let union = try coalesceUnion(child: leaf, parent: parent)
    let need: Int64
    switch sr.kind {
    case .file:
      need =
        Int64(
          union + VHDSpace.overheadBitmap(virtualSize: union)
            + VHDSpace.overheadEmpty(virtualSize: node.virtualSize))
        - Int64(p.physicalSize) + Int64(VHDSpace.overheadEmpty(virtualSize: node.virtualSize))
    case .lvm:
      need =
        Int64(VHDSpace.fullyInflatedLVSize(virtualSize: union)) - Int64(sr.lvSizes[parent] ?? 0)
        + Int64(VHDSpace.lvSize(node.physicalSize))
    }
    return need > 0 ? UInt64(need) : 0
  }
}

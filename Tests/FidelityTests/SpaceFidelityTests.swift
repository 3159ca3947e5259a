// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import StorageRepository
import Testing
import VHD

/// sm's space numbers (vhdutil `calcOverheadEmpty`, `calcOverheadBitmap`; lvhdutil `calcSizeLV`,
/// `calcSizeVHDLV`; cleanup.py `_calcExtraSpaceForSnapshotCoalescing`), with the figures worked out
/// from sm's formulas (docs/storage-manager.md#space-formulas, docs/storage-manager.md#leaf-space-check).
@Suite struct SpaceFidelityTests {
  static let miB: UInt64 = 1 << 20
  static let giB: UInt64 = 1 << 30

  @Test("calcOverheadEmpty: 100 GiB → 212 KiB, 2 TiB → 4 329 472 B; calcOverheadBitmap: 200 MiB per 100 GiB")
  func overheads() {
    #expect(VHDSpace.overheadEmpty(virtualSize: 100 * Self.giB) == 212 << 10)
    #expect(VHDSpace.overheadEmpty(virtualSize: 2048 * Self.giB) == 4_329_472)
    #expect(VHDSpace.overheadBitmap(virtualSize: 100 * Self.giB) == 200 * Self.miB)
  }

  @Test(
    "calcSizeVHDLV adds 28 MiB to 10 GiB, 208 MiB to 100 GiB, 2056 MiB to 1 TiB, 4088 MiB to 2040 GiB; thin LV 8 MiB"
  )
  func fullyInflated() {
    for (gib, extraMiB) in [(UInt64(10), UInt64(28)), (100, 208), (1024, 2056), (2040, 4088)] {
      #expect(
        VHDSpace.fullyInflatedLVSize(virtualSize: gib * Self.giB) == gib * Self.giB + extraMiB * Self.miB)
    }
    #expect(VHDSpace.thinLVSize == 8 * Self.miB)
  }

  /// The snapshot-coalesce need is the coalesce need plus the round's new leaf: on LVM an LV of the
  /// leaf's physical size rounded to 4 MiB, on a file SR an empty VHD's metadata.
  @Test(
    "snapshot-coalesce space = coalesce space + the round's leaf (_calcExtraSpaceForSnapshotCoalescing)",
    arguments: [SRKind.file, .lvm(.thin)])
  func snapshotCoalesceSpace(kind: SRKind) throws {
    let sr = SR(
      storage: MemoryStorage(flavour: .inMemory), directory: "/sr", kind: kind, capacity: 16 << 30,
      stamps: StampSequence(seed: 2))
    let vdi = try sr.createVDI(nameLabel: "vm", virtualSize: 1 << 30)
    let made = try sr.snapshot(vdi.uuid)
    let chain = try VHDChain.open(vdi.path, storage: sr.storage, writable: true, options: sr.engineOptions)
    for k in 0..<5 { try chain.write(byteOffset: UInt64(k) << 22, bytes: [UInt8](repeating: 7, count: 4096)) }
    try chain.close()
    try sr.delete(try #require(made.snapshot).uuid)
    let tree = try sr.scanTree()
    let leaf = try #require(tree.node(vdi.uuid))
    let parentUUID = try #require(leaf.parent)
    let parent = try #require(tree.node(parentUUID))
    let union = try sr.space.coalesceUnion(child: vdi.uuid, parent: parent.uuid)
    #expect(union == 5 * 2 * Self.miB)  // five 2 MiB blocks written, none in the empty base
    let expected: Int64
    switch kind {
    case .file:
      expected =
        Int64(
          union + VHDSpace.overheadBitmap(virtualSize: union)
            + VHDSpace.overheadEmpty(virtualSize: leaf.virtualSize))
        - Int64(parent.physicalSize) + Int64(VHDSpace.overheadEmpty(virtualSize: leaf.virtualSize))
    case .lvm:
      expected =
        Int64(VHDSpace.fullyInflatedLVSize(virtualSize: union)) - Int64(sr.lvSizes[parent.uuid] ?? 0)
        + Int64((leaf.physicalSize + 4 * Self.miB - 1) / (4 * Self.miB) * 4 * Self.miB)
    }
    #expect(try sr.space.snapshotCoalesceExtraSpace(leaf: vdi.uuid, in: tree) == UInt64(max(0, expected)))
    #expect(
      try sr.space.snapshotCoalesceExtraSpace(leaf: vdi.uuid, in: tree)
        >= sr.space.leafCoalesceExtraSpace(leaf: vdi.uuid, in: tree))
  }
}

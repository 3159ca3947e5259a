// SPDX-License-Identifier: GPL-3.0-or-later

import Testing
import VHD

@testable import StorageRepository

/// docs/storage-manager.md#snapshot-kinds, docs/storage-manager.md#lvm-snapshot,
/// docs/storage-manager.md#file-sr-snapshot: the trees snapshots and clones leave, and their
/// refusals.
@Suite struct SnapshotTests {
  @Test func doubleSnapshotMakesAHiddenBaseWithTwoLeaves() throws {
    let sr = makeSR(.file)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 100 * miB)
    try writeData(sr, vdi.uuid)
    let r = try sr.snapshot(vdi.uuid)
    let base = try #require(r.baseCopy)
    let snap = try #require(r.snapshot)
    #expect(r.vdi.uuid == vdi.uuid)
    #expect(r.vdi.path == vdi.path)
    #expect(!r.vdi.hidden && !r.vdi.isSnapshot && r.vdi.managed)
    #expect(snap.isSnapshot && !snap.hidden && snap.managed && snap.nameLabel == "disk")
    #expect(base.hidden && base.readOnly && !base.managed && base.nameLabel == "base copy")
    let tree = try sr.scanTree()
    #expect(tree.roots == [base.uuid])
    #expect(Set(tree.children(of: base.uuid)) == [vdi.uuid, snap.uuid])
    #expect(try footerHidden(sr, base.uuid))
    #expect(try !footerHidden(sr, vdi.uuid))
    #expect(try !footerHidden(sr, snap.uuid))
    #expect(tree.node(base.uuid)?.allocatedBlocks == 1)
    #expect(tree.node(vdi.uuid)?.allocatedBlocks == 0)
    #expect(sr.virtualAllocation == 200 * miB)
    // The new leaf reads the data through the base copy.
    let chain = try VHDChain.open(vdi.path, storage: sr.storage)
    #expect(try chain.read(sector: 0, count: 1) == [UInt8](repeating: 0xAB, count: 512))
  }

  @Test func cloneIsANormalVDI() throws {
    let sr = makeSR(.file)
    let vdi = try sr.createVDI(nameLabel: "template", virtualSize: 100 * miB)
    try writeData(sr, vdi.uuid)
    let r = try sr.clone(vdi.uuid)
    let clone = try #require(r.snapshot)
    #expect(!clone.isSnapshot && clone.managed && !clone.hidden)
    #expect(r.baseCopy?.hidden == true)
  }

  @Test func singleAndInternalLeaveOneLeaf() throws {
    for kind in [SnapshotKind.single, .internal] {
      let sr = makeSR(.file)
      let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 100 * miB)
      try writeData(sr, vdi.uuid)
      let r = try sr.snapshot(vdi.uuid, kind: kind)
      let base = try #require(r.baseCopy)
      #expect(r.snapshot == nil)
      let tree = try sr.scanTree()
      #expect(tree.children(of: base.uuid) == [vdi.uuid])
      #expect(tree.node(base.uuid)?.hidden == true)
      #expect(sr.records.count == 2)
      #expect(sr.virtualAllocation == (kind == .single ? 200 : 100) * miB)
      // The shape the GC turns into a leaf coalesce.
      #expect(GCPlan(tree: tree).leafCoalesceable == [vdi.uuid])
    }
  }

  @Test func emptyParentSkipRemovesTheUnusedBase() throws {
    let sr = makeSR(.file)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 100 * miB)
    try writeData(sr, vdi.uuid)
    let first = try sr.snapshot(vdi.uuid)
    let base = try #require(first.baseCopy)
    // Nothing written since: the leaf is empty, so both new leaves link to the first base.
    let second = try sr.snapshot(vdi.uuid)
    #expect(second.baseCopy == nil)
    let tree = try sr.scanTree()
    #expect(tree.nodes.count == 4)
    #expect(tree.children(of: base.uuid).count == 3)
    #expect(tree.depth(of: vdi.uuid) == 2)
    #expect(sr.records.count == 4)
  }

  @Test func depthLimitRefusesAtThirty() throws {
    let sr = makeSR(.file)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 4 * miB)
    for _ in 0..<29 {
      try writeData(sr, vdi.uuid)
      try sr.snapshot(vdi.uuid, kind: .single)
    }
    try writeData(sr, vdi.uuid)
    #expect(try sr.scanTree().depth(of: vdi.uuid) == 30)
    #expect(throws: SRError.chainTooLong(uuid: vdi.uuid, depth: 30, limit: 30)) {
      try sr.snapshot(vdi.uuid)
    }
    #expect(throws: SRError.chainTooLong(uuid: vdi.uuid, depth: 30, limit: 30)) { try sr.clone(vdi.uuid) }
  }

  @Test func hiddenAndUnknownVDIsAreRefused() throws {
    let sr = makeSR(.file)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 100 * miB)
    try writeData(sr, vdi.uuid)
    let base = try #require(try sr.snapshot(vdi.uuid).baseCopy)
    #expect(throws: SRError.hiddenVDI(base.uuid)) { try sr.snapshot(base.uuid) }
    #expect(throws: SRError.hiddenVDI(base.uuid)) { try sr.attach(base.uuid, writable: false) }
    #expect(throws: SRError.noSuchVDI("nope")) { try sr.snapshot("nope") }
  }

  @Test func fileSRSnapshotNeedsSpaceForTheNewLeaves() throws {
    let sr = makeSR(.file, capacity: 512 * 1024)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 100 * giB)
    let free = try sr.space.freeSpace()
    #expect(free == 512 * 1024 - (try sr.space.physicalUtilisation()))
    #expect(throws: SRError.insufficientSpace(needed: 2 * 212 * 1024, free: free)) {
      try sr.snapshot(vdi.uuid)
    }
    #expect(sr.records.count == 1)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

import Testing
import VHD

@testable import StorageRepository

/// Deletion (docs/storage-manager.md#delete) and attach/detach sizing
/// (docs/storage-manager.md#thin-and-thick).
@Suite struct DeleteAttachTests {
  @Test func deleteRefusalsAndGarbageLeftForTheGC() throws {
    let sr = makeSR(.file)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 100 * miB)
    try writeData(sr, vdi.uuid)
    let r = try sr.snapshot(vdi.uuid)
    let base = try #require(r.baseCopy)
    let snap = try #require(r.snapshot)
    #expect(throws: SRError.notALeaf(base.uuid)) { try sr.delete(base.uuid) }
    try sr.attach(vdi.uuid, writable: true)
    #expect(throws: SRError.vdiInUse(vdi.uuid)) { try sr.delete(vdi.uuid) }
    #expect(throws: SRError.noSuchVDI("nope")) { try sr.delete("nope") }

    // Deleting the snapshot: the base copy stays and the VDI becomes leaf-coalesceable into it.
    try sr.delete(snap.uuid)
    #expect(sr.records[snap.uuid] == nil)
    var tree = try sr.scanTree()
    #expect(tree.children(of: base.uuid) == [vdi.uuid])
    #expect(GCPlan(tree: tree) == GCPlan(garbage: [], coalesceable: [], leafCoalesceable: [vdi.uuid]))
    #expect(sr.virtualAllocation == 100 * miB)

    // Deleting the VDI too leaves a hidden leaf: garbage, not deletable by the user.
    try sr.detach(vdi.uuid, writable: true)
    #expect(throws: SRError.notAttached(vdi.uuid)) { try sr.detach(vdi.uuid, writable: true) }
    try sr.delete(vdi.uuid)
    #expect(throws: SRError.unmanagedVDI(base.uuid)) { try sr.delete(base.uuid) }
    tree = try sr.scanTree()
    let plan = GCPlan(tree: tree)
    #expect(plan.garbage == [base.uuid])
    try sr.collectGarbage(plan.garbage)
    #expect(try sr.scanTree().nodes.isEmpty)
    #expect(sr.records.isEmpty)
    #expect(try sr.space.physicalUtilisation() == 0)
  }

  @Test func thickLVMCreatesFullyInflatedLVs() throws {
    let sr = makeSR(.lvm(.thick), capacity: 100 * giB)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 10 * giB)
    #expect(sr.lvSizes[vdi.uuid] == 10 * giB + 28 * miB)
    #expect(try sr.space.freeSpace() == 90 * giB - 28 * miB)
    #expect(try sr.space.physicalUtilisation(of: vdi.uuid) == 10 * giB + 28 * miB)
  }

  @Test func thinLVMInflatesOnAttachAndDeflatesOnDetach() throws {
    let sr = makeSR(.lvm(.thin), capacity: 100 * giB)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 10 * giB)
    #expect(sr.lvSizes[vdi.uuid] == 8 * miB)
    try sr.attach(vdi.uuid, writable: false)
    #expect(sr.lvSizes[vdi.uuid] == 8 * miB)
    try sr.attach(vdi.uuid, writable: true)
    #expect(sr.lvSizes[vdi.uuid] == 10 * giB + 28 * miB)
    try sr.detach(vdi.uuid, writable: true)
    #expect(sr.lvSizes[vdi.uuid] == 10 * giB + 28 * miB)  // the read-only VBD is still plugged
    try sr.detach(vdi.uuid, writable: false)
    // Deflated to calcSizeLV(physical): the engine's VHD of 10 GiB is well under 4 MiB.
    #expect(sr.lvSizes[vdi.uuid] == 4 * miB)
  }

  @Test func thinAttachFailsWhenTheVGIsOverProvisioned() throws {
    let sr = makeSR(.lvm(.thin), capacity: 1 * giB)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 10 * giB)
    #expect(
      throws: SRError.insufficientSpace(needed: 10 * giB + 20 * miB, free: 1 * giB - 8 * miB)
    ) { try sr.attach(vdi.uuid, writable: true) }
    #expect(sr.attachments.isEmpty)
  }

  @Test func lvmDoubleSnapshotOfAnAttachedThickVDI() throws {
    let sr = makeSR(.lvm(.thick), capacity: 100 * giB)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 10 * giB)
    try writeData(sr, vdi.uuid)
    try sr.attach(vdi.uuid, writable: true)
    let r = try sr.snapshot(vdi.uuid)
    let base = try #require(r.baseCopy)
    let snap = try #require(r.snapshot)
    #expect(sr.lvSizes[base.uuid] == 4 * miB)  // deflated to its physical size
    #expect(sr.lvSizes[vdi.uuid] == 10 * giB + 28 * miB)
    #expect(sr.lvSizes[snap.uuid] == 8 * miB)
    // Detaching a snapshot on a thick SR deflates it; the VDI stays inflated.
    try sr.attach(snap.uuid, writable: true)
    #expect(sr.lvSizes[snap.uuid] == 10 * giB + 28 * miB)
    try sr.detach(snap.uuid, writable: true)
    #expect(sr.lvSizes[snap.uuid] == 4 * miB)
  }

  @Test func lvmSnapshotRefusedWithoutSpace() throws {
    let full = 10 * giB + 28 * miB
    let sr = makeSR(.lvm(.thick), capacity: full + 8 * miB)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 10 * giB)
    // full (continuing) + 8 MiB (snapshot) + 2 × 4 MiB journals − (full − 4 MiB deflated original).
    #expect(throws: SRError.insufficientSpace(needed: 20 * miB, free: 8 * miB)) { try sr.snapshot(vdi.uuid) }
    #expect(try sr.scanTree().nodes.count == 1)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

import Testing
import VHD

@testable import StorageRepository

/// Parent growth (docs/storage-manager.md#parent-growth): `vdi_resize`, both coalesce paths
/// growing a smaller parent, the LVM sizing, and recovery of a grow cut by a crash.
@Suite struct ParentGrowthTests {
  /// B → V with V resized from 8 to 300 MiB after the snapshot (S deleted): V is larger than B.
  func grownLeafShape(_ kind: SRKind) throws -> (sr: SR, vdi: String, base: String) {
    let sr = makeSR(kind)
    let v = try sr.createVDI(nameLabel: "v", virtualSize: 8 * miB).uuid
    try writeData(sr, v, sector: 100)
    let made = try sr.snapshot(v)
    try sr.delete(made.snapshot!.uuid)
    try sr.resize(v, to: 300 * miB)
    try writeData(sr, v, sector: 200 * 2048)
    let tree = try sr.scanTree()
    return (sr, v, tree.parent(of: v)!)
  }

  @Test func resizeRefusesAttachedHiddenAndShrinkingWithTypedErrors() throws {
    let sr = makeSR(.file)
    let v = try sr.createVDI(nameLabel: "v", virtualSize: 8 * miB).uuid
    try sr.attach(v, writable: true)
    #expect(throws: SRError.vdiInUse(v)) { try sr.resize(v, to: 16 * miB) }
    try sr.detach(v, writable: true)
    do {
      try sr.resize(v, to: 4 * miB)
      Issue.record("shrink accepted")
    } catch { if case .engine(let e) = error { #expect(e.code == .invalidArgument && e.field == "size") } }
    let made = try sr.snapshot(v)
    let base = try #require(made.baseCopy?.uuid)
    #expect(throws: SRError.hiddenVDI(base)) { try sr.resize(base, to: 16 * miB) }
    #expect(throws: SRError.noSuchVDI("nope")) { try sr.resize("nope", to: 16 * miB) }
  }

  @Test(arguments: [SRKind.file, .lvm(.thick), .lvm(.thin)])
  func leafCoalesceGrowsTheSmallerParentAndKeepsTheData(kind: SRKind) throws {
    let (sr, v, base) = try grownLeafShape(kind)
    let before = try VHDChain.open(sr.path(of: v), storage: sr.storage).read(sector: 0, count: 300 * 2048)
    let tree = try sr.scanTree()
    #expect(tree.isLeafCoalesceable(v))
    #expect(tree.node(base)!.virtualSize == 8 * miB)
    let op = try LeafCoalesceOperation(sr: sr, leaf: v)
    while op.phase != .done { try op.step(maxCopyBytes: 1 << 20) }
    #expect(op.parentGrowth?.from == 8 * miB && op.parentGrowth?.to == 300 * miB)
    let after = try VHDChain.open(sr.path(of: v), storage: sr.storage)
    #expect(after.images.count == 1)
    #expect(after.virtualSize == 300 * miB)
    #expect(try after.read(sector: 0, count: 300 * 2048) == before)
    #expect(VHDCheck.check(path: sr.path(of: v), storage: sr.storage).isEmpty)
    if case .lvm = kind {
      let length = try sr.storage.open(sr.path(of: v), writable: false).length
      #expect(sr.lvSizes[v]! >= VHDSpace.lvSize(length))
    }
    // No grow journal is left behind.
    #expect(try sr.folderNames().allSatisfy { !$0.hasPrefix("jvhd_") && $0 != base })
  }

  @Test(arguments: [SRKind.file, .lvm(.thick)])
  func nonLeafCoalesceGrowsTheSmallerParent(kind: SRKind) throws {
    // B1 → {V, S1}; V resized; B1 → {B2 → {V, S2}, S1}; S1 deleted: B1 → B2 → {V, S2}, B2 larger.
    let sr = makeSR(kind)
    let v = try sr.createVDI(nameLabel: "v", virtualSize: 8 * miB).uuid
    try writeData(sr, v, sector: 10)
    let first = try sr.snapshot(v)
    try sr.resize(v, to: 300 * miB)
    try writeData(sr, v, sector: 250 * 2048)
    let second = try sr.snapshot(v)
    try sr.delete(first.snapshot!.uuid)
    let b2 = try #require(second.baseCopy?.uuid)
    let s2 = try #require(second.snapshot?.uuid)
    let b1 = try #require(try sr.scanTree().parent(of: b2))
    let read = { (uuid: String) throws -> [UInt8] in
      try VHDChain.open(sr.path(of: uuid), storage: sr.storage).read(sector: 0, count: 300 * 2048)
    }
    let (vBefore, sBefore) = (try read(v), try read(s2))
    #expect(try sr.scanTree().isCoalesceable(b2))
    let op = try CoalesceOperation(sr: sr, child: b2)
    while op.phase != .done { try op.step(maxCopyBytes: 1 << 20) }
    #expect(op.parentGrowth?.from == 8 * miB && op.parentGrowth?.to == 300 * miB)
    let tree = try sr.scanTree()
    #expect(tree.node(b2) == nil)
    #expect(tree.parent(of: v) == b1 && tree.parent(of: s2) == b1)
    #expect(tree.node(b1)!.virtualSize == 300 * miB)
    #expect(try read(v) == vBefore)
    #expect(try read(s2) == sBefore)
    #expect(VHDCheck.check(path: sr.path(of: b1), storage: sr.storage).isEmpty)
  }

  /// A crash inside the parent's grow: recovery reverts it (P back byte for byte), undoes the
  /// leaf journal, and the next GC grows P and merges.
  @Test func aCrashInsideTheGrowIsRevertedAndTheGCFinishes() throws {
    let memory = MemoryStorage()
    let faulty = FaultInjectingStorage(memory)
    let sr = SR(storage: faulty, directory: "/sr", kind: .file, capacity: 1024 * giB)
    let v = try sr.createVDI(nameLabel: "v", virtualSize: 8 * miB).uuid
    try writeData(sr, v, sector: 100)
    let made = try sr.snapshot(v)
    try sr.delete(made.snapshot!.uuid)
    try sr.resize(v, to: 300 * miB)
    let base = try #require(try sr.scanTree().parent(of: v))
    let original = try VHDImage.open(sr.path(of: base), storage: memory).device.length
    let op = try LeafCoalesceOperation(sr: sr, leaf: v)
    // leaf journal (create, write, rename), un-hide P (2 footers), journal create + write, poison
    // ×2, then the moved block: the 10th write lands inside the grow.
    faulty.crashAfterWrites(10)
    #expect(throws: SRError.self) { try op.step(maxCopyBytes: 1 << 20) }
    #expect(faulty.hasCrashed)
    #expect(memory.exists(sr.path(of: base).replacing(".vhd", with: "")))
    let restarted = try sr.reopened(on: memory)
    #expect(restarted.recoveryLog.contains("reverted interrupted resize of \(base)"))
    #expect(try VHDImage.open(restarted.path(of: base), storage: memory).device.length == original)
    #expect(try VHDImage.open(restarted.path(of: base), storage: memory).virtualSize == 8 * miB)
    try GarbageCollector(sr: restarted).runToCompletion()
    let chain = try VHDChain.open(restarted.path(of: v), storage: memory)
    #expect(chain.images.count == 1 && chain.virtualSize == 300 * miB)
  }
}

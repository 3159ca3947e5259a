// SPDX-License-Identifier: GPL-3.0-or-later

import Testing
import VHD

@testable import StorageRepository

/// docs/storage-manager.md#live-leaf-coalesce: the leaf-coalesce step machine, the identity swap
/// and its undo.
@Suite struct LeafCoalesceTests {
  /// P → V, both with data, V its parent's only child.
  struct Shape {
    let sr: SR
    let oracle: DiskOracle
    let vdi: String
    let parent: String
  }

  static func makeShape(_ kind: SRKind, seed: UInt64 = 7) throws -> Shape {
    let sr = makeSR(kind, capacity: 10 * giB)
    let oracle = DiskOracle(seed: seed)
    let vdi = try oracle.create(sr)
    try oracle.write(sr, vdi, sector: 0, count: 64)
    try oracle.write(sr, vdi, sector: 9000, count: 8)
    let snap = try oracle.snapshot(sr, vdi, kind: .single)
    try oracle.write(sr, vdi, sector: 40, count: 64)
    try oracle.write(sr, vdi, sector: 14_000, count: 24)
    return Shape(sr: sr, oracle: oracle, vdi: vdi, parent: try #require(snap.baseCopy).uuid)
  }

  static let kinds: [SRKind] = [.file, .lvm(.thin), .lvm(.thick)]

  @Test(arguments: kinds)
  func swapKeepsTheVDIsIdentityAndData(kind: SRKind) throws {
    let s = try Self.makeShape(kind)
    let sr = s.sr
    let record = try sr.record(s.vdi)
    let recorder = IORecorder()
    let op = try LeafCoalesceOperation(sr: sr, leaf: s.vdi, observer: recorder)
    #expect(op.parent == s.parent && op.phase == .start)

    let startWork = try op.step(maxCopyBytes: 8192)
    #expect(startWork.levelPaths == [sr.path(of: s.vdi), sr.path(of: s.parent)])
    #expect(try sr.journals.all() == [SRJournal(kind: .leaf, key: s.vdi, value: s.parent)])
    #expect(try !footerHidden(sr, s.parent))
    if case .lvm = kind {
      #expect(sr.lvSizes[s.vdi] == VHDSpace.lvSize(try sr.space.fileSize(sr.path(of: s.vdi))))
    }
    var copied: UInt64 = 0
    while op.phase == .copying {
      copied += try op.step(maxCopyBytes: 8192).bytesCopied
      #expect(s.oracle.firstMismatch(sr) == nil)
    }
    #expect(copied == 88 * 512 && op.bytesCopied == copied)
    #expect(op.phase == .swapping)
    #expect(recorder.ios.filter { $0.kind == .data && $0.direction == .write }.allSatisfy { $0.level == 1 })

    let swapWork = try op.step(maxCopyBytes: 8192)
    #expect(swapWork == GCStepWork(levelPaths: [sr.path(of: "OLD_" + s.vdi)], bytesCopied: 0))
    #expect(op.phase == .done && !op.wasUndone)
    #expect(try sr.record(s.vdi) == record)
    #expect(sr.records[s.parent] == nil)
    #expect(sr.records.count == 1)
    #expect(!sr.storage.exists(sr.path(of: "OLD_" + s.vdi)))
    #expect(!sr.storage.exists(sr.path(of: s.parent)))
    #expect(try sr.storage.list(directory: "/sr") == [VHDPath.basename(record.path)])
    #expect(try depth(sr, s.vdi) == 1)
    #expect(try sr.journals.all() == [])
    #expect(s.oracle.firstMismatch(sr) == nil)
    #expect(try nodeProblems(sr) == [])
    if case .lvm = kind {
      #expect(sr.lvSizes == [s.vdi: VHDSpace.fullyInflatedLVSize(virtualSize: oracleDiskSize)])
    }
  }

  /// Undo after every step before the swap: L's data, visibility and LV, P hidden again.
  @Test(arguments: kinds)
  func undoAtEveryPhaseRestoresExactData(kind: SRKind) throws {
    var stop = 0
    while true {
      let s = try Self.makeShape(kind)
      let op = try LeafCoalesceOperation(sr: s.sr, leaf: s.vdi)
      for _ in 0..<stop where op.phase != .swapping { try op.step(maxCopyBytes: 8192) }
      let reachedSwap = op.phase == .swapping
      try op.undo()
      #expect(op.phase == .done && op.wasUndone)
      #expect(try s.sr.journals.all() == [], "stop \(stop)")
      #expect(try footerHidden(s.sr, s.parent) && !footerHidden(s.sr, s.vdi), "stop \(stop)")
      #expect(s.sr.records[s.parent]?.hidden == true)
      #expect(try s.sr.scanTree().parent(of: s.vdi) == s.parent)
      #expect(s.oracle.firstMismatch(s.sr) == nil, "stop \(stop)")
      #expect(try nodeProblems(s.sr) == [], "stop \(stop)")
      if case .lvm = kind, stop > 0 {
        #expect(s.sr.lvSizes[s.parent] == VHDSpace.lvSize(try s.sr.space.fileSize(s.sr.path(of: s.parent))))
        #expect(s.sr.lvSizes[s.vdi] == VHDSpace.fullyInflatedLVSize(virtualSize: oracleDiskSize))
      }
      // The GC then merges it for real.
      let counts = try GarbageCollector(sr: s.sr).runToCompletion()
      #expect(counts.leafCoalesces == 1 && counts.coalesces == 0)
      #expect(try depth(s.sr, s.vdi) == 1)
      #expect(s.oracle.firstMismatch(s.sr) == nil, "stop \(stop)")
      if reachedSwap { break }
      stop += 1
    }
    // Undone after 0 (nothing done), 1 (start) … 6 steps; the start and six copy steps of at most
    // 16 sectors (block 0's 64-sector run, then block 3's 24) reach the swap.
    #expect(stop == 7)
  }

  /// Mirror design: blocks the guest wrote during the first pass are copied again.
  @Test func recopyCatchesBlocksTheGuestWroteDuringTheCopy() throws {
    let s = try Self.makeShape(.file)
    let op = try LeafCoalesceOperation(sr: s.sr, leaf: s.vdi)
    while op.phase != .swapping { try op.step(maxCopyBytes: 1 << 20) }
    // The running guest writes into an allocated block and a new one.
    try s.oracle.write(s.sr, s.vdi, sector: 50, count: 4)
    try s.oracle.write(s.sr, s.vdi, sector: 4200, count: 4)
    try op.recopy(blocks: [0, 1])
    #expect(op.phase == .copying)
    var copied: UInt64 = 0
    while op.phase == .copying { copied += try op.step(maxCopyBytes: 1 << 20).bytesCopied }
    // Block 0 holds L's 64 sectors (the guest's 4 among them), block 1 the 4 new ones.
    #expect(copied == 68 * 512)
    try op.step(maxCopyBytes: 1)
    #expect(op.phase == .done)
    #expect(s.oracle.firstMismatch(s.sr) == nil)
    #expect(throws: SRError.wrongPhase(operation: "leaf coalesce \(s.vdi) recopy", phase: "done")) {
      try op.recopy(blocks: [0])
    }
  }

  /// A snapshot taken between copy and swap changes the tree: the swap refuses, undo restores.
  @Test(arguments: [SRKind.file, .lvm(.thin)])
  func treeChangeBeforeTheSwapIsRefusedAndUndone(kind: SRKind) throws {
    let s = try Self.makeShape(kind)
    let op = try LeafCoalesceOperation(sr: s.sr, leaf: s.vdi)
    while op.phase != .swapping { try op.step(maxCopyBytes: 1 << 20) }
    try s.oracle.snapshot(s.sr, s.vdi)
    #expect(throws: SRError.notLeafCoalesceable(s.vdi)) { try op.step(maxCopyBytes: 1) }
    try op.undo()
    #expect(try s.sr.journals.all() == [])
    #expect(try footerHidden(s.sr, s.parent))
    #expect(try depth(s.sr, s.vdi) == 3)
    #expect(s.oracle.firstMismatch(s.sr) == nil)
    #expect(try nodeProblems(s.sr) == [])
  }

  @Test func refusesALeafWithASibling() throws {
    let s = try Self.makeShape(.file)
    try s.oracle.clone(s.sr, s.vdi)
    #expect(throws: SRError.notLeafCoalesceable(s.vdi)) { try LeafCoalesceOperation(sr: s.sr, leaf: s.vdi) }
  }
}

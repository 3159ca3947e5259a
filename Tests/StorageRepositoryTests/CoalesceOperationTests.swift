// SPDX-License-Identifier: GPL-3.0-or-later

import Testing
import VHD

@testable import StorageRepository

/// docs/storage-manager.md#non-leaf-coalesce: the non-leaf coalesce step machine, phase by phase.
@Suite struct CoalesceOperationTests {
  /// P → B → {V, S}: B is coalesceable into P (P has only B).
  struct Shape {
    let sr: SR
    let oracle: DiskOracle
    let vdi: String
    let snapshot: String
    let base: String
    let parent: String
  }

  static func makeShape(_ kind: SRKind, seed: UInt64 = 1) throws -> Shape {
    let sr = makeSR(kind, capacity: 10 * giB)
    let oracle = DiskOracle(seed: seed)
    let vdi = try oracle.create(sr)
    try oracle.write(sr, vdi, sector: 0, count: 64)
    try oracle.write(sr, vdi, sector: 5000, count: 8)
    let first = try oracle.snapshot(sr, vdi, kind: .single)
    try oracle.write(sr, vdi, sector: 32, count: 64)  // overlaps P's data
    try oracle.write(sr, vdi, sector: 12_000, count: 16)  // a block P does not have
    let second = try oracle.snapshot(sr, vdi)
    return Shape(
      sr: sr, oracle: oracle, vdi: vdi, snapshot: try #require(second.snapshot).uuid,
      base: try #require(second.baseCopy).uuid, parent: try #require(first.baseCopy).uuid)
  }

  @Test(arguments: [SRKind.file, .lvm(.thin), .lvm(.thick)])
  func coalesceBIntoPThenRelinkTwoLeaves(kind: SRKind) throws {
    let s = try Self.makeShape(kind)
    let sr = s.sr
    #expect(try depth(sr, s.vdi) == 3)
    #expect(try sr.plan().coalesceable == [s.base])
    let parentLV = sr.lvSizes[s.parent]
    let recorder = IORecorder()
    let op = try CoalesceOperation(sr: sr, child: s.base, observer: recorder)
    #expect(op.parent == s.parent && op.phase == .start)

    // .start: marker journal, P inflated on LVM (its inflate journal already gone), images open.
    let startWork = try op.step(maxCopyBytes: 4096)
    #expect(
      startWork == GCStepWork(levelPaths: [sr.path(of: s.base), sr.path(of: s.parent)], bytesCopied: 0))
    #expect(op.phase == .copying)
    #expect(try sr.journals.all() == [SRJournal(kind: .coalesce, key: s.base, value: "1")])
    if case .lvm = kind { #expect(sr.lvSizes[s.parent]! > parentLV!) }

    // .copying in 4 KiB steps: B holds 64 + 16 sectors = 40 KiB.
    var steps = 0
    var copied: UInt64 = 0
    while op.phase == .copying {
      let w = try op.step(maxCopyBytes: 4096)
      #expect(w.levelPaths == [sr.path(of: s.base), sr.path(of: s.parent)])
      #expect(w.bytesCopied <= 4096)
      copied += w.bytesCopied
      steps += 1
      #expect(s.oracle.firstMismatch(sr) == nil)
    }
    #expect(copied == 80 * 512 && op.bytesCopied == copied)
    // Ten full 4 KiB steps, then one that finds the rest of B empty and ends the pass.
    #expect(steps == 11)
    #expect(op.phase == .relinking)
    #expect(try sr.journals.all() == [SRJournal(kind: .relink, key: s.base, value: s.parent)])
    if case .lvm = kind { #expect(sr.lvSizes[s.parent] == parentLV) }  // deflated again
    let dataWrites = recorder.ios.filter { $0.kind == .data && $0.direction == .write }
    let dataReads = recorder.ios.filter { $0.kind == .data && $0.direction == .read }
    #expect(dataWrites.allSatisfy { $0.level == 1 } && dataReads.allSatisfy { $0.level == 0 })
    #expect(dataReads.reduce(0) { $0 + $1.length } == 80 * 512)

    // .relinking: both leaves now point at P; level i is child i, then P.
    recorder.reset()
    let relinkWork = try op.step(maxCopyBytes: 4096)
    let tree = try sr.scanTree()
    let kids = tree.children(of: s.parent)
    #expect(Set(kids) == [s.base, s.vdi, s.snapshot])
    #expect(relinkWork.levelPaths.count == 3 && relinkWork.levelPaths.last == sr.path(of: s.parent))
    #expect(Set(relinkWork.levelPaths.dropLast()) == [sr.path(of: s.vdi), sr.path(of: s.snapshot)])
    #expect(recorder.ios.contains { $0.level == 0 && $0.kind == .header && $0.direction == .write })
    #expect(recorder.ios.contains { $0.level == 1 && $0.kind == .locator && $0.direction == .write })
    #expect(op.phase == .refreshing)
    // B is a hidden leaf now, but the relink journal keeps it from the garbage collector.
    #expect(try sr.plan().garbage == [])
    #expect(GCPlan(tree: tree).garbage == [s.base])
    #expect(s.oracle.firstMismatch(sr) == nil)

    // .refreshing: the journal goes, B is deleted with its record.
    try sr.attach(s.vdi, writable: true)
    #expect(op.leavesToRefresh == [s.vdi])
    #expect(try op.step(maxCopyBytes: 4096) == GCStepWork())
    #expect(op.phase == .done)
    #expect(try sr.journals.all() == [])
    #expect(sr.records[s.base] == nil && sr.lvSizes[s.base] == nil)
    #expect(!sr.storage.exists(sr.path(of: s.base)))
    #expect(try depth(sr, s.vdi) == 2 && depth(sr, s.snapshot) == 2)
    #expect(s.oracle.firstMismatch(sr) == nil)
    #expect(try nodeProblems(sr) == [])
    #expect(throws: SRError.wrongPhase(operation: "coalesce \(s.base)", phase: "done")) {
      try op.step(maxCopyBytes: 1)
    }
  }

  @Test func refusesANodeThatIsNotCoalesceable() throws {
    let s = try Self.makeShape(.file)
    #expect(throws: SRError.notCoalesceable(s.vdi)) { try CoalesceOperation(sr: s.sr, child: s.vdi) }
    #expect(throws: SRError.notCoalesceable(s.parent)) { try CoalesceOperation(sr: s.sr, child: s.parent) }
  }

  @Test(arguments: [SRKind.file, .lvm(.thin)])
  func abandonedCopyIsHarmlessAndRedoneByTheGC(kind: SRKind) throws {
    let s = try Self.makeShape(kind)
    let parentLV = s.sr.lvSizes[s.parent]
    let op = try CoalesceOperation(sr: s.sr, child: s.base)
    try op.step(maxCopyBytes: 4096)
    try op.step(maxCopyBytes: 4096)
    try op.step(maxCopyBytes: 4096)
    op.abandon()
    #expect(op.isAbandoned)
    #expect(throws: SRError.wrongPhase(operation: "coalesce \(s.base)", phase: "abandoned")) {
      try op.step(maxCopyBytes: 1)
    }
    #expect(s.sr.lvSizes[s.parent] == parentLV)
    #expect(s.oracle.firstMismatch(s.sr) == nil)
    #expect(try s.sr.journals.all().map(\.kind) == [.coalesce])
    let gc = GarbageCollector(sr: s.sr, policy: GCPolicy(leafCoalesce: false), maxCopyBytes: 8192)
    let counts = try gc.runToCompletion()
    #expect(counts.coalesces == 1 && counts.leafCoalesces == 0 && counts.bytesCopied == 80 * 512)
    #expect(try s.sr.journals.all() == [])
    #expect(try depth(s.sr, s.vdi) == 2)
    #expect(s.oracle.firstMismatch(s.sr) == nil)
  }

  @Test(arguments: [SRKind.file, .lvm(.thin)])
  func aRelinkJournalResumesAfterAReopen(kind: SRKind) throws {
    let s = try Self.makeShape(kind)
    let op = try CoalesceOperation(sr: s.sr, child: s.base)
    while op.phase != .relinking { try op.step(maxCopyBytes: 1 << 20) }
    // The host restarts here.
    let sr = try s.sr.reopened()
    #expect(try sr.journals.all().map(\.kind) == [.relink])
    let resumed = try CoalesceOperation(sr: sr, child: s.base)
    #expect(resumed.phase == .relinking && resumed.parent == s.parent)
    // The GC also picks it first, with no space check.
    #expect(try GarbageCollector(sr: sr).nonLeafCandidate(sr.plan()) == s.base)
    try resumed.step(maxCopyBytes: 1)
    try resumed.step(maxCopyBytes: 1)
    #expect(resumed.phase == .done && resumed.bytesCopied == 0)
    #expect(try sr.journals.all() == [])
    #expect(try depth(sr, s.vdi) == 2)
    #expect(s.oracle.firstMismatch(sr) == nil)
  }

  /// docs/storage-manager.md#candidate-order step 4 and docs/storage-manager.md#coalesce-space: on
  /// LVM the parent must first grow to hold the union of both BATs; a candidate whose extra space
  /// does not fit is passed over and reported.
  @Test func gcPassesOverACandidateThatDoesNotFit() throws {
    let s = try Self.makeShape(.lvm(.thin))
    let used = try s.sr.space.physicalUtilisation()
    let small = try SR.reopen(
      storage: s.sr.storage, directory: "/sr", kind: .lvm(.thin), capacity: used + 2 * miB,
      records: s.sr.records,
      lvSizes: s.sr.lvSizes)
    // Union of B's and P's blocks: 0, 1, 2 (6 MiB) → a 12 MiB LV for P, whose two blocks and
    // metadata sit in an 8 MiB LV.
    #expect(small.lvSizes[s.parent] == 8 * miB)
    #expect(try small.space.coalesceExtraSpace(child: s.base, in: small.scanTree()) == 4 * miB)
    let gc = GarbageCollector(sr: small)
    let none = try gc.runToCompletion()
    #expect(none == GarbageCollector.Counts(), "\(none) failed \(gc.failed)")
    #expect(gc.lackingSpace == [s.base])
    #expect(try depth(small, s.vdi) == 3)
    // With room for the growth and the two journal LVs (marker, inflate) it goes through.
    let roomy = try SR.reopen(
      storage: s.sr.storage, directory: "/sr", kind: .lvm(.thin), capacity: used + 12 * miB,
      records: s.sr.records,
      lvSizes: s.sr.lvSizes)
    let counts = try GarbageCollector(sr: roomy, policy: GCPolicy(leafCoalesce: false)).runToCompletion()
    #expect(counts.coalesces == 1)
    #expect(try depth(roomy, s.vdi) == 2)
    #expect(s.oracle.firstMismatch(roomy) == nil)
  }

  /// The block-restricted CoalesceJob pass copies only the blocks it is given.
  @Test func blockRestrictedPassCopiesOnlyTheListedBlocks() throws {
    let s = try Self.makeShape(.file)
    let child = try VHDImage.open(s.sr.path(of: s.base), storage: s.sr.storage)
    let parent = try VHDImage.open(s.sr.path(of: s.parent), storage: s.sr.storage, writable: true)
    // B has data in block 0 (sectors 32..<96) and block 2 (12000..<12016).
    let job = try CoalesceJob(child: child, parent: parent, blocks: [2, 2, 3])
    #expect(job.nextBlock == 2)
    try job.run()
    #expect(job.bytesCopied == 16 * 512 && job.progress == 1)
    #expect(throws: VHDError.self) { try CoalesceJob(child: child, parent: parent, blocks: [4]) }
    let empty = try CoalesceJob(child: child, parent: parent, blocks: [])
    #expect(empty.isFinished)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

import Testing
import VHD

@testable import StorageRepository

/// The GC loop at SR level: the mailing-list thread's story, clones blocking coalescing, and
/// random operation sequences checked against a flat oracle after every operation.
@Suite struct GCPropertyTests {
  /// 16 double snapshots with random writes between, all 16 deleted, then the GC: the chain
  /// collapses to base → VDI (depth 2) without leaf coalesce, to the VDI alone with it.
  @Test(arguments: [(SRKind.file, false), (.file, true), (.lvm(.thin), false), (.lvm(.thin), true)])
  func sixteenSnapshotsDeletedCollapseTheChain(kind: SRKind, leafCoalesce: Bool) throws {
    let sr = makeSR(kind, capacity: 4 * giB)
    let oracle = DiskOracle(seed: 16)
    let vdi = try oracle.create(sr)
    for _ in 0..<4 { try oracle.randomWrite(sr, vdi) }
    var snapshots: [String] = []
    for _ in 0..<16 {
      snapshots.append(try #require(try oracle.snapshot(sr, vdi).snapshot).uuid)
      for _ in 0..<3 { try oracle.randomWrite(sr, vdi) }
    }
    #expect(try depth(sr, vdi) == 17)
    for s in snapshots { try oracle.delete(sr, s) }
    #expect(oracle.firstMismatch(sr) == nil)
    let gc = GarbageCollector(sr: sr, policy: GCPolicy(leafCoalesce: leafCoalesce), maxCopyBytes: 64 << 10)
    let counts = try gc.runToCompletion()
    #expect(counts.coalesces == 15)
    #expect(counts.leafCoalesces == (leafCoalesce ? 1 : 0))
    #expect(counts.garbageDeleted == 0)
    #expect(gc.failed.isEmpty)
    #expect(try depth(sr, vdi) == (leafCoalesce ? 1 : 2))
    #expect(sr.records.count == (leafCoalesce ? 1 : 2))
    #expect(oracle.firstMismatch(sr) == nil)
    #expect(try nodeProblems(sr) == [])
    #expect(try sr.journals.all() == [])
    #expect(try !sr.plan(policy: GCPolicy(leafCoalesce: leafCoalesce)).hasWork)
  }

  /// A clone shares the base copy: what was snapshotted after it cannot be merged into it until
  /// the clone is gone.
  @Test(arguments: [SRKind.file, .lvm(.thin)])
  func aCloneBlocksCoalescingOfItsBaseCopy(kind: SRKind) throws {
    let sr = makeSR(kind, capacity: 4 * giB)
    let oracle = DiskOracle(seed: 5)
    let vdi = try oracle.create(sr)
    try oracle.randomWrite(sr, vdi)
    let clone = try #require(try oracle.clone(sr, vdi).snapshot).uuid
    try oracle.randomWrite(sr, vdi)
    let snap = try #require(try oracle.snapshot(sr, vdi).snapshot).uuid
    try oracle.randomWrite(sr, vdi)
    try oracle.delete(sr, snap)
    // base → {B2 → V, clone}: B2's parent has two children, V's parent is B2 (with only V).
    #expect(try depth(sr, vdi) == 3)
    #expect(try sr.plan().coalesceable == [])
    var counts = try GarbageCollector(sr: sr, policy: GCPolicy(leafCoalesce: false)).runToCompletion()
    #expect(counts == GarbageCollector.Counts())
    #expect(try depth(sr, vdi) == 3)
    counts = try GarbageCollector(sr: sr).runToCompletion()
    #expect(counts.coalesces == 0 && counts.leafCoalesces == 1)  // V merges into B2 only
    #expect(try depth(sr, vdi) == 2 && depth(sr, clone) == 2)
    #expect(oracle.firstMismatch(sr) == nil)
    try oracle.delete(sr, clone)
    counts = try GarbageCollector(sr: sr).runToCompletion()
    #expect(counts.leafCoalesces == 1)
    #expect(try depth(sr, vdi) == 1)
    #expect(oracle.firstMismatch(sr) == nil)
    #expect(try nodeProblems(sr) == [])
  }

  /// A GC step machine in flight between random operations.
  enum InFlight {
    case coalesce(CoalesceOperation)
    /// Mirror design: guest writes to L are tracked as dirty blocks and copied again.
    case leaf(LeafCoalesceOperation, dirty: Set<Int>)
  }

  /// Random writes, snapshots, clones, deletes, GC iterations, and a non-leaf coalesce or a
  /// mirroring leaf coalesce advanced one step at a time between them (abandoned or undone now and
  /// then), on file and LVM thin SRs. After every operation every visible VDI equals its oracle,
  /// every node passes `vhd-util check`, and the VG is never over-full.
  @Test(arguments: [SRKind.file, .lvm(.thin)])
  func randomOperationSequences(kind: SRKind) throws {
    var tally: [String: Int] = [:]
    for seed in UInt64(1)...4 { try runSequence(kind: kind, seed: seed, tally: &tally) }
    // Every kind of operation happened, over the seeds.
    for op in [
      "write", "snapshot", "clone", "delete", "gc step", "coalesce start", "coalesce step",
      "coalesce abandon",
      "leaf start", "leaf step", "leaf recopy", "leaf undo", "write to a coalescing leaf",
    ] {
      #expect(tally[op, default: 0] > 0, "\(op): \(tally)")
    }
  }

  /// One random sequence of 64 operations (see `randomOperationSequences`).
  func runSequence(kind: SRKind, seed: UInt64, tally: inout [String: Int]) throws {
    let capacity = 2 * giB
    let sr = SR(
      storage: MemoryStorage(flavour: .inMemory), directory: "/sr", kind: kind, capacity: capacity,
      stamps: StampSequence(seed: seed))
    let oracle = DiskOracle(seed: seed &* 7919, diskSize: 6 * miB)
    var rng = SplitMix64(seed: seed)
    let gc = GarbageCollector(sr: sr, maxCopyBytes: 32 << 10)
    var inFlight: InFlight?
    _ = try oracle.create(sr)
    for opIndex in 0..<64 {
      let visible = DiskOracle.visible(sr)
      let target = visible[Int(rng.next() % UInt64(visible.count))]
      var leafInFlight: String?
      if case .leaf(let l, _) = leafState(inFlight) { leafInFlight = l.leaf }
      let roll = rng.next() % 100
      var op: String
      switch roll {
      case 0..<35:
        op = "write"
        let sectorsBefore = oracle.random
        try oracle.randomWrite(sr, target)
        if case .leaf(let l, let before) = leafState(inFlight), target == l.leaf {
          var dirty = before
          // Replay the draw to learn which blocks the write touched.
          var r = sectorsBefore
          let count = Int(r.next() % 64) + 1
          let sector = r.next() % (oracle.diskSize / 512 - UInt64(count))
          for b in Int(sector / 4096)...Int((sector + UInt64(count) - 1) / 4096) { dirty.insert(b) }
          inFlight = .leaf(l, dirty: dirty)
          op = "write to a coalescing leaf"
        }
      case 35..<50 where visible.count < 8:
        op = "snapshot"
        do { try oracle.snapshot(sr, target) } catch SRError.chainTooLong { op = "snapshot refused" }
      case 50..<55 where visible.count < 8:
        op = "clone"
        do { try oracle.clone(sr, target) } catch SRError.chainTooLong { op = "clone refused" }
      case 55..<70 where visible.count > 1 && target != leafInFlight:
        op = "delete"
        try oracle.delete(sr, target)
      case 70..<75 where inFlight == nil:
        op = "gc step"
        try gc.step()
      default:
        op = try advance(&inFlight, sr: sr, rng: &rng)
        if op == "idle" {
          op = "write"
          try oracle.randomWrite(sr, target)
        }
      }
      tally[op, default: 0] += 1
      let context = "\(kind) seed \(seed) op \(opIndex) \(op)"
      if let m = oracle.firstMismatch(sr) {
        Issue.record("\(context): \(m)")
        return
      }
      let problems = try nodeProblems(sr)
      #expect(problems.isEmpty, "\(context): \(problems.first.map { "\($0)" } ?? "")")
      #expect(try usedSpace(sr) <= capacity, "\(context)")
      if !problems.isEmpty { return }
    }
    // Drain: finish what is running, then everything the GC finds.
    let running = inFlight
    switch running {
    case .coalesce(let c): while c.phase != .done { try c.step(maxCopyBytes: 1 << 20) }
    case .leaf(let l, let dirty):
      if !dirty.isEmpty { try l.recopy(blocks: dirty.sorted()) }
      do { while l.phase != .done { try l.step(maxCopyBytes: 1 << 20) } } catch { try l.undo() }
    case nil: break
    }
    try GarbageCollector(sr: sr).runToCompletion()
    #expect(oracle.firstMismatch(sr) == nil)
    #expect(try nodeProblems(sr) == [])
    #expect(try sr.journals.all() == [])
    let plan = try sr.plan()
    #expect(plan.garbage.isEmpty && plan.coalesceable.isEmpty && plan.leafCoalesceable.isEmpty)
  }

  /// A copy of the in-flight state to match on.
  func leafState(_ inFlight: InFlight?) -> InFlight? { inFlight }

  /// One step of whatever is in flight, or a new operation when nothing is; "idle" when there is
  /// nothing to start either.
  func advance(_ inFlight: inout InFlight?, sr: SR, rng: inout SplitMix64) throws -> String {
    let current = inFlight
    switch current {
    case .coalesce(let c):
      if c.phase == .copying && rng.next() % 8 == 0 {
        c.abandon()
        inFlight = nil
        return "coalesce abandon"
      }
      try c.step(maxCopyBytes: 4096 << Int(rng.next() % 5))
      if c.phase == .done { inFlight = nil }
      return "coalesce step"
    case .leaf(let l, let dirty):
      if rng.next() % 10 == 0 {
        try l.undo()
        inFlight = nil
        return "leaf undo"
      }
      if l.phase == .swapping && !dirty.isEmpty {
        try l.recopy(blocks: dirty.sorted())
        inFlight = .leaf(l, dirty: [])
        return "leaf recopy"
      }
      let budget = 4096 << Int(rng.next() % 5)
      var refused = false
      do { try l.step(maxCopyBytes: budget) } catch {
        guard case .notLeafCoalesceable = error else { throw error }
        refused = true
      }
      if refused {
        // A snapshot of L changed the tree before the swap.
        try l.undo()
        inFlight = nil
        return "leaf swap refused, undone"
      }
      if l.phase == .done { inFlight = nil }
      return "leaf step"
    case nil:
      let plan = try sr.plan()
      if let c = plan.coalesceable.first {
        let op = try CoalesceOperation(sr: sr, child: c)
        try op.step(maxCopyBytes: 4096)
        inFlight = .coalesce(op)
        return "coalesce start"
      }
      if let l = plan.leafCoalesceable.first {
        let op = try LeafCoalesceOperation(sr: sr, leaf: l)
        try op.step(maxCopyBytes: 4096)
        inFlight = .leaf(op, dirty: [])
        return "leaf start"
      }
      return "idle"
    }
  }
}

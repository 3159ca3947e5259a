// SPDX-License-Identifier: GPL-3.0-or-later

import Testing
import VHD

@testable import StorageRepository

/// Crash sweeps (docs/storage-manager.md#interrupted-coalesce,
/// docs/storage-manager.md#interrupted-leaf-coalesce,
/// docs/storage-manager.md#interrupted-snapshot): an operation is cut at every physical write and
/// every namespace change in turn; the host restarts (`SR.reopen` with the records and LV sizes it
/// had), recovery runs, and every visible VDI must read what it held before, then the GC must
/// finish the job cleanly.
@Suite struct RecoveryTests {
  /// What a sweep found over all its crash points.
  struct SweepResult {
    var crashPoints = 0
    var recoveryLines: [String] = []
    var failures: [String] = []
  }

  /// Builds the SR on a crashable storage with `setup`, runs `operation` with a crash at the k-th
  /// mutation for every k until the operation completes uncrashed. `optional` VDIs (uuid → the
  /// VDI whose data they must equal) may appear after recovery: a completed snapshot's leaf.
  static func sweep(
    _ kind: SRKind, tear: Bool = false, setup: (SR, DiskOracle) throws -> Void,
    operation: (SR) throws -> Void, optional: [String: String] = [:]
  ) throws -> SweepResult {
    var result = SweepResult()
    var k = 1
    while k < 5000 {
      let faulty = FaultInjectingStorage(MemoryStorage())
      let sr = SR(storage: faulty, directory: "/sr", kind: kind, capacity: 4 * giB)
      let oracle = DiskOracle(seed: 11)
      try setup(sr, oracle)
      faulty.crashAfterWrites(k, tear: tear)
      do { try operation(sr) } catch {}
      guard faulty.hasCrashed else { break }
      result.crashPoints += 1
      let crashPoint = "\(kind) crash at \(k)\(tear ? " (torn)" : "")"
      let reopened: SR
      do { reopened = try sr.reopened(on: faulty.base) } catch {
        result.failures.append("\(crashPoint): reopen failed: \(error)")
        k += 1
        continue
      }
      result.recoveryLines += reopened.recoveryLog
      for uuid in DiskOracle.visible(reopened) where oracle.disks[uuid] == nil {
        if let source = optional[uuid] { oracle.disks[uuid] = oracle.disks[source] }
      }
      if let m = oracle.firstMismatch(reopened) {
        result.failures.append("\(crashPoint) after recovery: \(m)")
      }
      do {
        try GarbageCollector(sr: reopened).runToCompletion()
        if let m = oracle.firstMismatch(reopened) { result.failures.append("\(crashPoint) after GC: \(m)") }
        let problems = try nodeProblems(reopened)
        if !problems.isEmpty { result.failures.append("\(crashPoint): \(problems[0])") }
        let left = try reopened.journals.all()
        if !left.isEmpty { result.failures.append("\(crashPoint): journals left \(left)") }
        if try usedSpace(reopened) > reopened.capacity {
          result.failures.append("\(crashPoint): VG over-full")
        }
      } catch {
        result.failures.append("\(crashPoint): GC failed: \(error)")
      }
      k += 1
    }
    return result
  }

  /// A VDI with data under one single snapshot: P → V.
  static func leafShape(_ sr: SR, _ oracle: DiskOracle) throws {
    let vdi = try oracle.create(sr)
    try oracle.write(sr, vdi, sector: 0, count: 16)
    try sr.snapshot(vdi, kind: .single)
    try oracle.write(sr, vdi, sector: 8, count: 16)
    try oracle.write(sr, vdi, sector: 9000, count: 8)
  }

  /// P → B → {V, S}: B coalesceable.
  static func coalesceShape(_ sr: SR, _ oracle: DiskOracle) throws {
    try leafShape(sr, oracle)
    let vdi = oracle.disks.keys.first!
    try oracle.snapshot(sr, vdi)
    try oracle.write(sr, vdi, sector: 100, count: 8)
  }

  static let kinds: [SRKind] = [.file, .lvm(.thin)]

  @Test(arguments: kinds, [false, true])
  func interruptedSnapshotIsRolledBackOrCompleted(kind: SRKind, tear: Bool) throws {
    // Learn the uuid the snapshot's second leaf gets (uuids are deterministic).
    let probe = makeSR(kind, capacity: 4 * giB)
    let probeOracle = DiskOracle(seed: 11)
    try Self.leafShape(probe, probeOracle)
    let vdi = probeOracle.disks.keys.first!
    let second = try #require(try probe.snapshot(vdi).snapshot).uuid
    let r = try Self.sweep(
      kind, tear: tear, setup: Self.leafShape,
      operation: { sr in try sr.snapshot(sr.records.values.first { !$0.hidden }!.uuid) },
      optional: [second: vdi])
    #expect(r.failures == [])
    #expect(r.crashPoints >= 8)
    #expect(r.recoveryLines.contains("rolled back interrupted snapshot of \(vdi)"))
    #expect(r.recoveryLines.contains("completed interrupted snapshot of \(vdi)"))
  }

  @Test(arguments: kinds, [false, true])
  func interruptedCoalesceNeverLosesData(kind: SRKind, tear: Bool) throws {
    let r = try Self.sweep(kind, tear: tear, setup: Self.coalesceShape) { sr in
      let child = try #require(try sr.plan().coalesceable.first)
      let op = try CoalesceOperation(sr: sr, child: child)
      while op.phase != .done { try op.step(maxCopyBytes: 4096) }
    }
    #expect(r.failures == [])
    #expect(r.crashPoints >= 20)
    #expect(r.recoveryLines.contains { $0.hasPrefix("dropped coalesce marker") })
  }

  @Test(arguments: kinds, [false, true])
  func interruptedLeafCoalesceIsUndoneOrFinished(kind: SRKind, tear: Bool) throws {
    let r = try Self.sweep(kind, tear: tear, setup: Self.leafShape) { sr in
      let leaf = try #require(try sr.plan().leafCoalesceable.first)
      let op = try LeafCoalesceOperation(sr: sr, leaf: leaf)
      while op.phase != .done { try op.step(maxCopyBytes: 4096) }
    }
    #expect(r.failures == [])
    #expect(r.crashPoints >= 20)
    #expect(r.recoveryLines.contains { $0.hasPrefix("undid interrupted leaf-coalesce") })
  }

  @Test(arguments: kinds, [false, true])
  func interruptedGarbageCollectionNeverLosesData(kind: SRKind, tear: Bool) throws {
    let r = try Self.sweep(
      kind, tear: tear,
      setup: { sr, oracle in
        try Self.coalesceShape(sr, oracle)
        let vdi = DiskOracle.visible(sr).first { sr.records[$0]?.isSnapshot == false }!
        for uuid in DiskOracle.visible(sr) where uuid != vdi { try oracle.delete(sr, uuid) }
      },
      operation: { sr in try GarbageCollector(sr: sr).runToCompletion() })
    #expect(r.failures == [])
    #expect(r.crashPoints >= 30)
  }

  /// A leaf journal whose swap got as far as both renames is undone: L gets its file back.
  @Test(arguments: kinds)
  func undoAfterBothRenames(kind: SRKind) throws {
    let sr = makeSR(kind, capacity: 4 * giB)
    let oracle = DiskOracle(seed: 3)
    try Self.leafShape(sr, oracle)
    let vdi = DiskOracle.visible(sr)[0]
    let op = try LeafCoalesceOperation(sr: sr, leaf: vdi)
    while op.phase != .swapping { try op.step(maxCopyBytes: 1 << 20) }
    // Do the first two swap actions by hand, as if the host died right after them.
    try sr.storage.rename(sr.path(of: vdi), to: sr.path(of: "OLD_" + vdi))
    sr.lvm.moveSize(from: vdi, to: "OLD_" + vdi)
    try sr.storage.rename(sr.path(of: op.parent), to: sr.path(of: vdi))
    sr.lvm.moveSize(from: op.parent, to: vdi)
    #expect(try sr.scanTree().roots.contains("OLD_" + vdi))
    let reopened = try sr.reopened()
    #expect(reopened.recoveryLog == ["undid interrupted leaf-coalesce of \(vdi) into \(op.parent)"])
    #expect(try reopened.scanTree().parent(of: vdi) == op.parent)
    #expect(oracle.firstMismatch(reopened) == nil)
    #expect(try nodeProblems(reopened) == [])
  }

  /// A leaf journal whose P is gone and no OLD_ left: the swap is finished.
  @Test func finishWhenOnlyTheMergedLeafIsLeft() throws {
    let sr = makeSR(.lvm(.thin), capacity: 4 * giB)
    let oracle = DiskOracle(seed: 3)
    try Self.leafShape(sr, oracle)
    let vdi = DiskOracle.visible(sr)[0]
    let op = try LeafCoalesceOperation(sr: sr, leaf: vdi)
    while op.phase != .swapping { try op.step(maxCopyBytes: 1 << 20) }
    try sr.storage.rename(sr.path(of: vdi), to: sr.path(of: "OLD_" + vdi))
    sr.lvm.moveSize(from: vdi, to: "OLD_" + vdi)
    try sr.storage.rename(sr.path(of: op.parent), to: sr.path(of: vdi))
    sr.lvm.moveSize(from: op.parent, to: vdi)
    try sr.removeNode("OLD_" + vdi, path: sr.path(of: "OLD_" + vdi))
    let reopened = try sr.reopened()
    #expect(reopened.recoveryLog == ["finished interrupted leaf-coalesce of \(vdi) into \(op.parent)"])
    #expect(reopened.records[op.parent] == nil)
    #expect(reopened.lvSizes[vdi] == VHDSpace.fullyInflatedLVSize(virtualSize: oracleDiskSize))
    #expect(try depth(reopened, vdi) == 1)
    #expect(oracle.firstMismatch(reopened) == nil)
  }

  @Test func interruptedInflateIsDeflatedBack() throws {
    let sr = makeSR(.lvm(.thin), capacity: 4 * giB)
    let vdi = try sr.createVDI(nameLabel: "disk", virtualSize: 100 * miB)
    try sr.journals.add(.inflate, key: vdi.uuid, value: String(8 * miB))
    sr.lvSizes[vdi.uuid] = 64 * miB
    let reopened = try sr.reopened()
    #expect(reopened.lvSizes[vdi.uuid] == 8 * miB)
    #expect(reopened.recoveryLog == ["undid inflate of \(vdi.uuid): LV back to \(8 * miB) bytes"])
    #expect(try reopened.journals.all() == [])
  }
}

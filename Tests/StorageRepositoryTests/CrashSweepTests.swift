// SPDX-License-Identifier: GPL-3.0-or-later

import Testing
import VHD

@testable import StorageRepository

/// Issue 5, "Faults: nothing lost": every operation crashed at every one of its physical writes,
/// clean and torn, on a file SR and LVM thin and thick SRs; restart, recovery, verification, GC,
/// verification again. Plus proof that the verifier catches what it claims to catch.
@Suite struct CrashSweepTests {
  /// 8 MiB disks (four blocks) keep the full sweep of every operation within seconds in debug.
  static let small = CrashSweepConfiguration(
    seed: 1, virtualSize: 8 * VHDSpace.miB, maxCopyBytes: 64 << 10, setupWrites: 4, maxWriteSectors: 64)

  /// W observed with `small` (file / lvm-thin / lvm-thick), rounded down, so a sweep cannot silently try nothing.
  static let minimumWrites: [CrashSweepOperation: Int] = [
    .snapshot: 30, .coalesce: 30, .leafLive: 16, .leafSnapshotCoalesce: 65, .leafOffline: 16, .leafMirror: 24,
    .coalesceGrow: 40, .leafLiveGrow: 30,
  ]

  /// Recovery actions each sweep must have exercised (uuids shown as `<uuid>`).
  static let requiredActions: [CrashSweepOperation: [String]] = [
    .snapshot: ["rolled back interrupted snapshot of <uuid>", "completed interrupted snapshot of <uuid>"],
    .coalesce: ["dropped coalesce marker of <uuid>"],
    .leafLive: ["undid interrupted leaf-coalesce of <uuid> into <uuid>"],
    .leafSnapshotCoalesce: [
      "rolled back interrupted snapshot of <uuid>", "dropped coalesce marker of <uuid>",
      "undid interrupted leaf-coalesce of <uuid> into <uuid>",
    ],
    .leafOffline: ["undid interrupted leaf-coalesce of <uuid> into <uuid>"],
    .leafMirror: ["undid interrupted leaf-coalesce of <uuid> into <uuid>"],
    .coalesceGrow: [
      "dropped coalesce marker of <uuid>", "reverted interrupted resize of <uuid>",
      "dropped incomplete resize journal of <uuid>",
    ],
    .leafLiveGrow: [
      "undid interrupted leaf-coalesce of <uuid> into <uuid>", "reverted interrupted resize of <uuid>",
      "dropped incomplete resize journal of <uuid>",
    ],
  ]

  /// The grow operations' disks grow to 258 MiB, which a debug build reads slowly at every crash
  /// point: `growWindowRecovers` sweeps the points around the grow; `vhdsim faults` sweeps them all.
  static let growOperations: [CrashSweepOperation] = [.coalesceGrow, .leafLiveGrow]

  @Test(
    arguments: CrashSweepOperation.allCases.filter { !growOperations.contains($0) }, CrashSweepSRKind.allCases
  )
  func everyCrashPointRecoversWithNothingLost(operation: CrashSweepOperation, kind: CrashSweepSRKind) throws {
    let r = try CrashSweep(configuration: Self.small).run(operation, on: kind)
    let failures = r.failures.joined(separator: "\n")
    #expect(r.referenceFailure == nil)
    #expect(r.writes >= Self.minimumWrites[operation]!, "W = \(r.writes)")
    #expect(r.crashPointsTried == 2 * r.writes)
    #expect(r.dataMismatches == 0, "\(failures)")
    #expect(r.checkFailures == 0, "\(failures)")
    #expect(r.orphans == 0, "\(failures)")
    #expect(r.recoveryFailures == 0, "\(failures)")
    #expect(r.recoveredOK == r.crashPointsTried, "\(failures)")
    #expect(r.passed)
    let actions = Set(r.recoveryActions.map(\.action))
    for required in Self.requiredActions[operation]! {
      #expect(actions.contains(required), "\(operation.name) on \(kind.name) never logged '\(required)'")
    }
    if ![.leafLive, .leafOffline, .leafLiveGrow].contains(operation) {
      #expect(r.guestWritesInterrupted > 0, "the crash never hit a guest write")
    }
  }

  /// Parent growth (docs/storage-manager.md#parent-growth): writes 4–19 of each grow operation hold
  /// the parent's whole journaled grow (journal, poison, the moved block, metadata, footers, journal
  /// removal); every one of them cut, clean and torn, recovers with nothing lost, and recovery both
  /// reverted a grow and dropped a journal cut while being written. One SR kind each keeps a debug
  /// run short; `vhdsim faults` sweeps every write on every kind.
  @Test(arguments: [(CrashSweepOperation.coalesceGrow, CrashSweepSRKind.file), (.leafLiveGrow, .lvmThick)])
  func growWindowRecovers(operation: CrashSweepOperation, kind: CrashSweepSRKind) throws {
    let r = try CrashSweep(configuration: Self.small).run(operation, on: kind, crashPoints: 4...19)
    let failures = r.failures.joined(separator: "\n")
    #expect(r.referenceFailure == nil)
    #expect(r.writes >= Self.minimumWrites[operation]!, "W = \(r.writes)")
    #expect(r.crashPointsTried == 32)
    #expect(r.recoveredOK == r.crashPointsTried, "\(failures)")
    let actions = Set(r.recoveryActions.map(\.action))
    for required in Self.requiredActions[operation]! {
      #expect(actions.contains(required), "\(operation.name) on \(kind.name) never logged '\(required)'")
    }
  }

  /// The grown shapes are what they claim: the parent is smaller than its child before the
  /// operation and has the child's size after it, with one of its blocks moved by the grow.
  @Test(arguments: growOperations, CrashSweepSRKind.allCases)
  func growOperationsGrowTheParent(operation: CrashSweepOperation, kind: CrashSweepSRKind) throws {
    let run = try CrashSweepRun(operation: operation, kind: kind, configuration: Self.small)
    let tree = try run.sr.scanTree()
    let child = operation == .coalesceGrow ? run.named["B2"]! : run.vdi
    let parent = try #require(tree.parent(of: child))
    #expect(tree.node(child)!.virtualSize == 258 * VHDSpace.miB)
    #expect(tree.node(parent)!.virtualSize == 8 * VHDSpace.miB)
    try run.perform()
    let after = try run.sr.scanTree()
    let merged = operation == .coalesceGrow ? parent : run.vdi
    #expect(after.node(merged)!.virtualSize == 258 * VHDSpace.miB)
    let image = try VHDImage.open(run.sr.path(of: merged), storage: run.sr.storage)
    #expect(image.header!.maxTableEntries == 129)
    #expect(CrashSweepVerifier.nodeProblem(run.sr, exceptGarbage: false) == nil)
    #expect(run.oracle.firstMismatch(run.sr) == nil)
  }

  /// The mirror operation really re-copies: the live recopy pass and the paused last pass each get
  /// blocks the guest dirtied, and offline differs from live only in the attachment.
  @Test func mirrorRecopiesDirtiedBlocksAndOfflineUnplugs() throws {
    let mirror = try CrashSweepRun(operation: .leafMirror, kind: .file, configuration: Self.small)
    try mirror.perform()
    #expect(mirror.mirrorRecopies.count == 2)
    #expect(mirror.mirrorRecopies.allSatisfy { !$0.isEmpty }, "\(mirror.mirrorRecopies)")
    #expect(try mirror.sr.scanTree().depth(of: mirror.vdi) == 1)

    let live = try CrashSweepRun(operation: .leafLive, kind: .lvmThin, configuration: Self.small)
    let offline = try CrashSweepRun(operation: .leafOffline, kind: .lvmThin, configuration: Self.small)
    let (liveStart, offlineStart) = (live.writesSeen, offline.writesSeen)
    try live.perform()
    try offline.perform()
    #expect(live.writesSeen - liveStart == offline.writesSeen - offlineStart)
    #expect(live.sr.isAttached(live.vdi) && offline.sr.isAttached(offline.vdi))
    #expect(live.sr.lvSizes == offline.sr.lvSizes)
  }

  /// A recovery that corrupts one data sector is caught at every crash point.
  @Test func verifierCatchesACorruptedSector() throws {
    var sweep = CrashSweep(configuration: Self.small)
    sweep.tamper = { sr in
      let vdi = try #require(CrashSweepOracle.visibleVDIs(sr).first)
      let chain = try VHDChain.open(sr.path(of: vdi), storage: sr.storage, writable: true)
      var sector = try chain.read(sector: 100, count: 1)
      sector[7] ^= 0x40
      try chain.write(sector: 100, bytes: sector)
      try chain.close()
    }
    let r = try sweep.run(.leafLive, on: .file, crashPoints: 1...3)
    #expect(r.crashPointsTried == 6)
    #expect(r.dataMismatches == 6)
    #expect(r.recoveredOK == 0)
    #expect(!r.passed)
    #expect(r.failures.first?.contains("after recovery:") == true)
    #expect(r.failures.first?.contains("sector 100 byte 7") == true, "\(r.failures)")
  }

  /// A stray file is an orphan; a damaged end footer fails `vhd-util check`.
  @Test func verifierCatchesOrphansAndCheckFailures() throws {
    var stray = CrashSweep(configuration: Self.small)
    stray.tamper = { sr in _ = try sr.storage.create(VHDPath.join(sr.directory, "leftover")) }
    let orphans = try stray.run(.snapshot, on: .lvmThin, crashPoints: 2...3)
    #expect(orphans.crashPointsTried == 4 && orphans.orphans == 4 && orphans.recoveredOK == 0)
    #expect(orphans.dataMismatches == 0)
    #expect(
      orphans.failures.first?.hasSuffix("after recovery: stray entry leftover") == true, "\(orphans.failures)"
    )

    var footer = CrashSweep(configuration: Self.small)
    footer.tamper = { sr in
      let vdi = try #require(CrashSweepOracle.visibleVDIs(sr).first)
      let device = try sr.storage.open(sr.path(of: vdi), writable: true)
      let garbage = [UInt8](repeating: 0x5A, count: 8)
      try garbage.withUnsafeBytes { try device.write($0, at: device.length - 512, kind: .footer) }
    }
    let checks = try footer.run(.coalesce, on: .file, crashPoints: 1...2)
    #expect(checks.crashPointsTried == 4 && checks.checkFailures == 4 && checks.recoveredOK == 0)
    #expect(checks.dataMismatches == 0)
  }

  /// A guest write cut by the crash may leave each of its sectors old or new, and nothing else.
  @Test func interruptedWriteAllowsOldOrNewPerSectorOnly() throws {
    let sr = SR(storage: MemoryStorage(), directory: "/sr", kind: .file, capacity: 4 * VHDSpace.giB)
    let vdi = try sr.createVDI(nameLabel: "d", virtualSize: 4 * VHDSpace.miB).uuid
    var oracle = CrashSweepOracle()
    oracle.disks[vdi] = [UInt8](repeating: 0, count: Int(4 * VHDSpace.miB))
    let new = [UInt8](repeating: 0xC3, count: 4 * 512)
    oracle.interrupted = .init(vdi: vdi, sector: 40, bytes: new)
    let chain = try VHDChain.open(sr.path(of: vdi), storage: sr.storage, writable: true)
    try chain.write(sector: 41, bytes: Array(new[512..<1024]))  // one sector new, three old
    try chain.write(sector: 43, bytes: Array(new[1536..<2048]))
    #expect(oracle.firstMismatch(sr) == nil)
    try chain.write(sector: 42, bytes: [UInt8](repeating: 0x11, count: 512))  // neither old nor new
    #expect(oracle.firstMismatch(sr) == "\(vdi): sector 42 byte 0 reads 17, expected 0")
    try chain.write(sector: 42, bytes: [UInt8](repeating: 0, count: 512))
    try chain.write(sector: 44, bytes: Array(new[0..<512]))  // "new" data outside the write
    #expect(oracle.firstMismatch(sr) == "\(vdi): sector 44 byte 0 reads 195, expected 0")
    try chain.close()
    // Settled, the interrupted write is pinned to what was read: sector 41 must now stay new.
    var settled = oracle
    try VHDChain.open(sr.path(of: vdi), storage: sr.storage, writable: true).write(
      sector: 44, bytes: [UInt8](repeating: 0, count: 512))
    settled.settle(on: sr)
    #expect(settled.interrupted == nil && settled.firstMismatch(sr) == nil)
    try VHDChain.open(sr.path(of: vdi), storage: sr.storage, writable: true).write(
      sector: 41, bytes: [UInt8](repeating: 0, count: 512))
    #expect(settled.firstMismatch(sr) == "\(vdi): sector 41 byte 0 reads 0, expected 195")
  }

  @Test func sweepIsDeterministic() throws {
    let sweep = CrashSweep(configuration: Self.small)
    let a = try sweep.run(.leafMirror, on: .lvmThin, crashPoints: 5...9)
    let b = try sweep.run(.leafMirror, on: .lvmThin, crashPoints: 5...9)
    #expect(a == b)
    #expect(a.crashPointsTried == 10)
  }

  /// A restriction past W tries nothing (and so does not pass), rather than trapping.
  @Test func crashPointsBeyondWAreNotTried() throws {
    let r = try CrashSweep(configuration: Self.small).run(.leafLive, on: .file, crashPoints: 1000...1001)
    #expect(r.writes >= Self.minimumWrites[.leafLive]!)
    #expect(r.crashPointsTried == 0 && r.recoveredOK == 0)
    #expect(!r.passed)
  }

  @Test func unknownNamesAndBadConfigurationsAreTypedErrors() throws {
    #expect(throws: CrashSweepError.unknownOperation("leaf", known: CrashSweepOperation.allCases.map(\.name)))
    {
      try CrashSweepOperation(name: "leaf")
    }
    #expect(throws: CrashSweepError.unknownSRKind("lvm", known: ["file", "lvm-thin", "lvm-thick"])) {
      try CrashSweepSRKind(name: "lvm")
    }
    #expect(try CrashSweepOperation(name: "leaf-snapshot-coalesce") == .leafSnapshotCoalesce)
    var bad = Self.small
    bad.virtualSize = 3 * VHDSpace.miB
    #expect(
      throws: CrashSweepError.invalidConfiguration(
        field: "virtualSize", reason: "must be a multiple of 2 MiB, at least 4 MiB")
    ) { try CrashSweep(configuration: bad).run(.snapshot, on: .file) }
  }

  @Test func recoveryLinesGroupByAction() {
    #expect(
      CrashSweep.action(
        of: "undid interrupted leaf-coalesce of 910a2dec-8902-4cc1-beeb-8da1658eec67 into "
          + "f893a2ee-fb32-455e-b1c1-8690ee42c90b") == "undid interrupted leaf-coalesce of <uuid> into <uuid>"
    )
    #expect(
      CrashSweep.action(of: "forgot record of OLD_910a2dec-8902-4cc1-beeb-8da1658eec67: its node is gone")
        == "forgot record of <uuid>: its node is gone")
    #expect(
      CrashSweep.action(
        of: "removed half-written journal tmp-journal-leaf-910a2dec-8902-4cc1-beeb-8da1658eec67")
        == "removed half-written journal tmp-journal-leaf-<uuid>")
  }
}

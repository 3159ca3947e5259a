// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import StorageRepository
import Testing
import VHD

/// sm's rules around leaf coalesce, each checked through a pool in simulated time, with its source
/// (xapi-project/sm `libs/sm/cleanup.py` at 471cf7e unless a test names another commit).
@Suite struct SMRulesInPoolTests {
  /// A leaf of `leafMiB` behind an otherwise idle pool (a 4 KiB writer at 50/s in the first 8 MiB),
  /// its snapshot deleted, so the attach kick starts a leaf coalesce at time zero.
  func leafPool(
    _ design: LeafCoalesceDesign, leafMiB: Int = 64, costs: GCCosts = GCCosts(), capacity: UInt64 = 8 << 30,
    writeRate: Double = 50
  ) throws -> (pool: PoolSimulation, sr: SR, vdi: Int, uuid: String) {
    let sr = SR(
      storage: MemoryStorage(flavour: .inMemory), directory: "/sr", kind: .file, capacity: capacity,
      stamps: StampSequence(seed: 4))
    let uuid = try leafWork(sr, leafMiB: leafMiB)
    let pool = try PoolSimulation(disk: flash, sr: sr, gc: gcSettings(design, costs: costs), seed: 4)
    pool.recordWrites = true
    let vdi = try pool.attach(vdi: uuid)
    if writeRate > 0 {
      try pool.addVM(
        vdi: vdi,
        workload: WorkloadSpec(
          readFraction: 0, requestBytes: 4096, arrivals: .openLoop(ratePerSecond: writeRate),
          region: 0..<(8 << 20)))
    }
    return (pool, sr, vdi, uuid)
  }

  /// A 256 MiB VDI with 2 MiB in its base copy and `leafMiB` written into its leaf, the snapshot
  /// that made the base copy deleted: a leaf-coalesce candidate.
  func leafWork(_ sr: SR, leafMiB: Int) throws -> String {
    let vdi = try sr.createVDI(nameLabel: "vm", virtualSize: 256 << 20)
    func write(_ byte: UInt8, at offset: UInt64, count: Int) throws {
      let chain = try VHDChain.open(vdi.path, storage: sr.storage, writable: true, options: sr.engineOptions)
      try chain.write(byteOffset: offset, bytes: [UInt8](repeating: byte, count: count))
      try chain.close()
    }
    try write(0x11, at: 254 << 20, count: 2 << 20)
    let made = try sr.snapshot(vdi.uuid)
    for k in 0..<(leafMiB / 4) { try write(0x22, at: UInt64(k) << 22, count: 4 << 20) }
    try sr.delete(try #require(made.snapshot).uuid)
    return vdi.uuid
  }

  // MARK: SR lock (docs/storage-manager.md#sr-lock)

  /// `_snapshotCoalesce` holds no lock while the round copies: a user's snapshot then runs at once
  /// (it does not wait for the GC), and the GC finds the tree altered and drops the attempt without
  /// remembering the leaf as failed (`_coalesceLeaf` returns False).
  @Test("a snapshot during a snapshot-coalesce round proceeds; the GC drops the attempt (_snapshotCoalesce)")
  func snapshotDuringARoundProceeds() throws {
    let probe = try leafPool(.sm(.xcp, .v2025_09))
    try runUntilGCIdle(probe.pool, after: .seconds(1), limit: .seconds(300))
    let probeAttempt = try #require(probe.pool.gcResult.leaf.attempts.first)
    let round = try #require(probeAttempt.iterationLog.first)
    let at = round.coalesceStarted + (round.ended - round.coalesceStarted) / 2
    let (pool, sr, vdi, uuid) = try leafPool(.sm(.xcp, .v2025_09))
    let k = try pool.scheduleSRSnapshot(vdi: vdi, at: at)
    try runUntilGCIdle(pool, after: at + .seconds(1), limit: .seconds(300))
    let op = pool.srOperations[k]
    #expect(op.error == nil)
    // Not held up by the copy: paused within a second of the request, long before the round's end.
    let performed = try #require(op.performedAt)
    #expect(performed - at < .seconds(1))
    #expect(performed < round.ended)
    let attempt = try #require(pool.gcResult.leaf.attempts.first)
    #expect(attempt.outcome == .abandoned)
    #expect(pool.gcResult.counts.failedTargets == 0)
    #expect(try pool.verifyVDI(vdi) == nil)
    _ = (sr, uuid)
  }

  /// `_liveLeafCoalesce` holds the SR lock from its rescan to the unpause: a user's snapshot
  /// requested meanwhile waits and runs once the live step has ended.
  @Test("a snapshot during the paused live step waits for the SR lock (_liveLeafCoalesce)")
  func snapshotWaitsForTheLiveStep() throws {
    let probe = try leafPool(.force)
    try runUntilGCIdle(probe.pool, after: .seconds(1), limit: .seconds(120))
    let live = try #require(probe.pool.gcResult.leaf.attempts.first)
    #expect(live.outcome == .success)
    #expect(live.pause > .seconds(3))  // 64 MiB read and written at 40 MB/s, paused
    let at = live.ended - live.pause / 2
    let (pool, _, vdi, _) = try leafPool(.force)
    let k = try pool.scheduleSRSnapshot(vdi: vdi, at: at)
    try runUntilGCIdle(pool, after: at + .seconds(1), limit: .seconds(120))
    let attempt = try #require(pool.gcResult.leaf.attempts.first)
    #expect(attempt.outcome == .success && attempt.ended == live.ended)
    try pool.run(for: .seconds(5))  // the snapshot itself: its drain and the SM driver's work
    let performed = try #require(pool.srOperations[k].performedAt)
    #expect(performed >= live.ended)
    #expect(pool.srOperations[k].error == nil)
  }

  // MARK: leaf space check (docs/storage-manager.md#leaf-space-check)

  /// `findLeafCoalesceable`: with free space between the live and the snapshot-coalesce need, a leaf
  /// that fails the live test is not taken by `sm` (and is tested again on the next pass, not
  /// remembered as failed), while `force`, whose live test always passes, needs the live space only.
  @Test(
    "sm needs the snapshot-coalesce space unless the live test passes; no-space is re-checked (findLeafCoalesceable)"
  )
  func leafSpaceCheck() throws {
    let probe = try leafPool(.none, writeRate: 0)
    let tree = try probe.sr.scanTree()
    let live = try probe.sr.space.leafCoalesceExtraSpace(leaf: probe.uuid, in: tree)
    let snapshot = try probe.sr.space.snapshotCoalesceExtraSpace(leaf: probe.uuid, in: tree)
    #expect(snapshot > live)
    let used = try probe.sr.space.physicalUtilisation()
    let capacity = used + (live + snapshot) / 2
    let (pool, _, _, _) = try leafPool(.sm(.xcp, .v2025_09), capacity: capacity, writeRate: 0)
    _ = try pool.scheduleSRScan(at: .seconds(10))
    try pool.run(for: .seconds(20))
    let attempts = pool.gcResult.leaf.attempts
    #expect(attempts.count == 2 && attempts.allSatisfy { $0.outcome == .noSpace })
    #expect(pool.gcResult.counts.failedTargets == 0)
    let (forced, _, _, _) = try leafPool(.force, capacity: capacity, writeRate: 0)
    try runUntilGCIdle(forced, after: .seconds(1), limit: .seconds(120))
    #expect(forced.gcResult.leaf.attempts.map(\.outcome) == [.success])
  }

  // MARK: per-round costs (docs/storage-manager.md#per-round-costs)

  /// `_doCoalesceLeaf`'s paused bookkeeping: with the default costs the live step's pause is the
  /// zero-cost pause plus exactly 5 command starts and 3 xapi calls (file SR, one host).
  @Test("the live step's pause includes its journal, checks, renames and record updates (_doCoalesceLeaf)")
  func liveStepCosts() throws {
    let (bare, _, _, _) = try leafPool(.force, costs: .zero, writeRate: 0)
    try runUntilGCIdle(bare, after: .seconds(1), limit: .seconds(120))
    let (costed, _, _, _) = try leafPool(.force, writeRate: 0)
    try runUntilGCIdle(costed, after: .seconds(1), limit: .seconds(120))
    let a = try #require(bare.gcResult.leaf.attempts.first)
    let b = try #require(costed.gcResult.leaf.attempts.first)
    let c = GCCosts()
    #expect(b.pause - a.pause == c.commandStart * 5 + c.xapiCall * 3)
    // The speed sample times the copy alone: the same with and without the costs.
    #expect(bare.gcResult.speedSamples == costed.gcResult.speedSamples)
  }

  /// A snapshot-coalesce round costs more than its copy: the internal snapshot (xapi call, the SM
  /// driver's work paused), the scans and checks, the relink. With the costs on, the time from a
  /// round's start to its copy is at least the fixed part the docs list.
  @Test("a snapshot-coalesce round pays its fixed costs before the copy (_snapshotCoalesce, _doCoalesce)")
  func roundCosts() throws {
    let (pool, _, _, _) = try leafPool(.sm(.xcp, .v2025_09))
    try runUntilGCIdle(pool, after: .seconds(1), limit: .seconds(300))
    let attempt = try #require(pool.gcResult.leaf.attempts.first)
    let round = try #require(attempt.iterationLog.first)
    let c = GCCosts()
    let fixed = c.xapiCall + c.smSnapshot + c.commandStart * (GCCosts.scansPerPass + 3)
    #expect(round.coalesceStarted - round.started > fixed)
  }

  // MARK: quiet period (docs/storage-manager.md#quiet-period)

  /// `_gcLoopPause`: 300 s after a kick that finds work, skipped on the first run after boot (no
  /// `gc_init` marker yet) when the scenario says the host has just booted.
  @Test(
    "the quiet period is 300 s, skipped on the first run after boot (_gcLoopPause, gc_init)",
    arguments: [false, true])
  func quietPeriod(firstRunAfterBoot: Bool) throws {
    var settings = GCSettings(firstRunAfterBoot: firstRunAfterBoot, costs: .zero, leafDesign: .none)
    settings.kickOnAttach = false
    let (pool, _, vdi, _) = try fidelityPool(gc: settings)
    #expect(settings.quietPeriod == .seconds(300))
    let first = try pool.scheduleSRSnapshot(vdi: vdi, at: .seconds(1))
    _ = try pool.scheduleSRSnapshot(vdi: vdi, at: .seconds(2))
    _ = try pool.scheduleSRDelete(snapshotsOf: [first], at: .seconds(3))
    try pool.run(for: .seconds(60))
    // The coalesce of the hidden middle node: at once after boot, else after the quiet period.
    #expect(pool.gcResult.counts.coalesces == (firstRunAfterBoot ? 1 : 0))
    try pool.run(for: .seconds(300))
    #expect(pool.gcResult.counts.coalesces == 1)
  }

  // MARK: trackers through the pool (docs/storage-manager.md#tracker-history)

  /// A writer too busy for the rounds to converge: under every tracker variant the pool gives up at
  /// exactly the iteration a fresh tracker fed with the pool's own round sizes names, with its reason.
  @Test(
    "the pool gives up where the tracker fed with its round sizes says (SR.CoalesceTracker)",
    arguments: CoalesceTracker.Variant.allCases)
  func trackerThroughThePool(variant: CoalesceTracker.Variant) throws {
    let sr = SR(
      storage: MemoryStorage(flavour: .inMemory), directory: "/sr", kind: .file, capacity: 8 << 30,
      stamps: StampSequence(seed: 6))
    let uuid = try leafWork(sr, leafMiB: 32)
    let pool = try PoolSimulation(disk: flash, sr: sr, gc: gcSettings(.sm(.xcp, variant)), seed: 6)
    let vdi = try pool.attach(vdi: uuid)
    try pool.addVM(
      vdi: vdi,
      workload: WorkloadSpec(readFraction: 0, requestBytes: 4096, arrivals: .openLoop(ratePerSecond: 400)))
    try runUntilGCIdle(pool, after: .seconds(1), limit: .seconds(2000))
    let attempt = try #require(pool.gcResult.leaf.attempts.first)
    guard case .gaveUp(let reason) = attempt.outcome else {
      Issue.record("\(variant.name): ended \(attempt.outcome)")
      return
    }
    var tracker = CoalesceTracker(variant: variant)
    var expected: CoalesceTracker.GiveUpReason?
    for it in attempt.iterationLog where expected == nil {
      expected = tracker.abort(previousSize: it.sizeBefore, currentSize: it.sizeAfter)
    }
    let giveUp = try #require(expected)
    #expect(tracker.iterations == attempt.iterations)
    #expect(reason == tracker.message(for: giveUp))
    #expect(pool.gcResult.counts.failedTargets == 1)  // a raised give-up is remembered
  }

  /// `offline` is the LVM `coalesce-leaf` plugin: refused on a file SR with an error naming it.
  @Test("offline exists on LVM SRs only (scripts/plugins/coalesce-leaf)")
  func offlineNeedsLVM() throws {
    let sr = SR(
      storage: MemoryStorage(flavour: .inMemory), directory: "/sr", kind: .file, capacity: 1 << 30,
      stamps: StampSequence(seed: 1))
    #expect(throws: PoolError.self) {
      try PoolSimulation(disk: flash, sr: sr, gc: gcSettings(.offline(OfflineParameters())))
    }
  }
}

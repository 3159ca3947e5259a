// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import StorageRepository
import Testing
import VHD

/// Makes non-leaf GC work without kicking the GC: two double snapshots of an unattached VDI, the
/// first snapshot deleted behind the pool's back, so the second base copy is coalesceable into the
/// first. Returns the VDI's uuid.
func prepareCoalesceWork(_ sr: SR, virtualSize: UInt64 = 64 << 20, bytes: Int = 4 << 20) throws -> String {
  let vdi = try sr.createVDI(nameLabel: "prepared", virtualSize: virtualSize)
  try fill(vdi.path, in: sr, at: 0, bytes: 4 << 20)
  let first = try sr.snapshot(vdi.uuid)
  try fill(vdi.path, in: sr, at: 8 << 20, bytes: bytes)
  try sr.snapshot(vdi.uuid)
  try sr.delete(try #require(first.snapshot).uuid)
  #expect(GCPlan(tree: try sr.scanTree()).coalesceable.count == 1)
  return vdi.uuid
}

/// Writes `bytes` of 0x5A at byte `offset` of the VDI whose leaf is `path` (no pool involved).
func fill(_ path: String, in sr: SR, at offset: UInt64, bytes: Int) throws {
  let chain = try VHDChain.open(path, storage: sr.storage, writable: true, options: sr.engineOptions)
  try chain.write(byteOffset: offset, bytes: [UInt8](repeating: 0x5A, count: bytes))
  try chain.close()
}

@Suite struct GCDaemonTests {
  @Test func kickWhileBusyIsANoOp() throws {
    let (pool, _, vdis) = try makeSRPool()
    try pool.scheduleSnapshotScript(
      vdi: vdis[0], count: 8, every: .seconds(1), start: .seconds(1), deleteAllAt: .seconds(10))
    // The delete's GC process is coalescing at 10.01 s: the scan's kick must not start another.
    try pool.scheduleSRScan(at: .milliseconds(10_010))
    let r = try runUntilGCIdle(pool, after: .seconds(11), limit: .seconds(100))
    let gc = try #require(r.gc)
    #expect(pool.gcOperationsRunning == 0)
    #expect(gc.counts.runs == 2)  // the SR attach and the delete
    #expect(gc.counts.kicks == 3)
    #expect(gc.counts.kicksIgnored == 1)
    #expect(gc.counts.coalesces == 7)
    #expect(gc.operations.first!.started == .seconds(10))
    #expect(gc.operations.first!.ended > .milliseconds(10_010))
  }

  @Test(arguments: [0, 300])
  func quietPeriodDelaysTheFirstOperationExactly(seconds: Int) throws {
    let (pool, sr, _) = try makeSRPool(gc: GCSettings(quietPeriod: .seconds(seconds)), vdis: 0)
    _ = try prepareCoalesceWork(sr)
    let r = try pool.run(for: .seconds(seconds + 10))
    let gc = try #require(r.gc)
    #expect(gc.counts.runs == 1)
    #expect(gc.counts.coalesces == 1)
    try #require(gc.operations.count == 1)
    #expect(gc.operations[0].started == .seconds(seconds))
    #expect(!pool.gcAlive)
    #expect(gc.activity.active >= .seconds(seconds) && gc.activity.active == gc.operations[0].ended)
  }

  @Test func autoScanKicksTheGC() throws {
    let settings = GCSettings(quietPeriod: .zero, autoScanInterval: .seconds(30), kickOnAttach: false)
    let (pool, sr, _) = try makeSRPool(gc: settings, vdis: 0)
    _ = try prepareCoalesceWork(sr)
    let r = try pool.run(for: .seconds(100))
    let gc = try #require(r.gc)
    // Scans at 30, 60 and 90 s; only the first finds work.
    #expect(gc.counts.autoScans == 3)
    #expect(gc.counts.kicks == 3 && gc.counts.runs == 3 && gc.counts.kicksIgnored == 0)
    #expect(gc.operations.map(\.started) == [.seconds(30)])
    #expect(gc.counts.coalesces == 1)
  }

  @Test func noKickNoGC() throws {
    let (pool, sr, _) = try makeSRPool(gc: GCSettings(quietPeriod: .zero, kickOnAttach: false), vdis: 0)
    _ = try prepareCoalesceWork(sr)
    let gc = try #require(try pool.run(for: .seconds(100)).gc)
    #expect(gc.counts.runs == 0 && gc.counts.kicks == 0 && gc.operations.isEmpty)
    #expect(GCPlan(tree: try sr.scanTree()).coalesceable.count == 1)
  }

  /// Two VHD trees with work at once: per SR, one operation (and one GC request) at a time; per
  /// tree, both trees coalesce concurrently.
  @Test(arguments: [GCSettings.Concurrency.perSR, .perTree])
  func oneOperationPerSROrPerTree(concurrency: GCSettings.Concurrency) throws {
    let (pool, sr, vdis) = try makeSRPool(
      gc: GCSettings(quietPeriod: .zero, concurrency: concurrency), vdis: 2)
    for v in vdis {
      try pool.scheduleSnapshotScript(
        vdi: v, count: 4, every: .seconds(1), start: .seconds(1), deleteAllAt: .seconds(6))
    }
    let r = try runUntilGCIdle(pool, after: .seconds(7), limit: .seconds(100))
    let gc = try #require(r.gc)
    #expect(gc.counts.coalesces == 6)
    #expect(gc.counts.runs == 2 && gc.counts.kicks == 3 && gc.counts.kicksIgnored == 1)
    for v in vdis { #expect(try sr.scanTree().depth(of: try #require(pool.uuid(ofVDI: v))) == 2) }
    let ops = gc.operations.sorted { $0.started < $1.started }
    let overlaps = zip(ops, ops.dropFirst()).filter { $1.started < $0.ended }.count
    switch concurrency {
    case .perSR:
      #expect(gc.activity.maxConcurrentOperations == 1)
      #expect(gc.activity.maxRequestsInFlight == 1)
      #expect(overlaps == 0)
    case .perTree:
      #expect(gc.activity.maxConcurrentOperations == 2)
      #expect(gc.activity.maxRequestsInFlight == 2)
      #expect(overlaps >= 1)
    }
    for v in vdis { #expect(try pool.verifyVDI(v) == nil) }
  }

  /// A leaf whose paused copy times out is a failed target for the rest of that GC process (no
  /// retry), and is tried again by the next process.
  @Test func failedTargetsAreRememberedPerProcess() throws {
    let policy = LiveCoalescePolicy(timeoutSeconds: 0.001)
    // A writer confined to 4 MiB keeps the leaf at two blocks: predicted copy time under 1 s, so the
    // policy's floor(size / speed) < 0.0005 passes and the 1 ms timeout is what stops the copy.
    let (pool, sr, vdis) = try makeSRPool(design: .liveOnly(policy), region: 0..<(4 << 20))
    try pool.scheduleSnapshotScript(
      vdi: vdis[0], count: 4, every: .seconds(1), start: .seconds(1), deleteAllAt: .seconds(6))
    try pool.scheduleSRScan(at: .seconds(30))
    let r = try pool.run(for: .seconds(40))
    let gc = try #require(r.gc)
    #expect(gc.counts.runs == 3)  // attach, delete, scan
    #expect(gc.leaf.attempts.map(\.outcome) == [.timeout, .timeout])
    #expect(gc.leaf.attempts[1].started >= .seconds(30))
    #expect(gc.counts.failedTargets == 2)
    #expect(gc.metrics["leaf_timeouts"] == 2)
    #expect(!pool.gcAlive)
    // Undone: the VDI keeps its chain of 2 and its data.
    let uuid = try #require(pool.uuid(ofVDI: vdis[0]))
    #expect(try sr.scanTree().depth(of: uuid) == 2)
    #expect(try sr.journals.all().isEmpty)
    #expect(try pool.verifyVDI(vdis[0]) == nil)
    // Each attempt is one pause: from the pause request through the kill (at the 1 ms timeout, once
    // the copy request on the disk completed) and the undo to the reopen.
    for a in gc.leaf.attempts { #expect(a.pause >= .milliseconds(1) && a.ended - a.started == a.pause) }
  }

  @Test func sameSeedSameDigest() throws {
    func run(seed: UInt64) throws -> (UInt64, UInt64) {
      let (pool, _, vdis) = try makeSRPool(
        design: try LeafCoalesceDesign(name: "sm"), seed: seed)
      try pool.scheduleSnapshotScript(
        vdi: vdis[0], count: 6, every: .seconds(1), start: .seconds(1), deleteAllAt: .seconds(8))
      let r = try pool.run(for: .seconds(20))
      return (try #require(r.gc).digest, r.digest)
    }
    let a = try run(seed: 7)
    let b = try run(seed: 7)
    let c = try run(seed: 8)
    #expect(a == b)
    #expect(a.0 != c.0)
  }

  /// The coalesce copies 48 MiB, each step one request on the disk FIFO. With 4 MiB steps a guest
  /// request waits for the step in service (4 MiB read + 4 MiB write at 40 MB/s ≈ 0.21 s) and for
  /// the requests ahead of it, which wait for that same step: under two steps, never the whole
  /// copy. With one 64 MiB step it waits for the whole copy.
  @Test(arguments: [4 << 20, 64 << 20])
  func coalesceStepsInterleaveWithGuestIO(maxCopyBytes: Int) throws {
    // 4 KiB writes inside 4 MiB: after the first two allocations, each is one small transfer.
    let (pool, sr, _) = try makeSRPool(
      gc: GCSettings(quietPeriod: .zero, maxCopyBytes: maxCopyBytes), vdis: 1, writeRate: 20, disk: slowDisk,
      region: 0..<(4 << 20))
    _ = try prepareCoalesceWork(sr, virtualSize: 128 << 20, bytes: 48 << 20)
    pool.recordTrace = true
    let r = try pool.run(for: .seconds(10))
    let gc = try #require(r.gc)
    try #require(gc.operations.count == 1)
    let op = gc.operations[0]
    #expect(gc.bytesCopied.nonLeaf == 48 << 20)
    let copy = 2 * Double(48 << 20) / 40e6
    #expect((op.ended - op.started).seconds > copy)
    let during = r.trace.filter { $0.issued >= op.started && $0.issued < op.ended }
    #expect(during.count >= 40)
    let worst = during.map { ($0.completed - $0.issued).seconds }.max() ?? 0
    if maxCopyBytes == 4 << 20 {
      #expect(worst < 2 * 2 * Double(4 << 20) / 40e6)
    } else {
      #expect(worst > 0.9 * copy)
    }
    #expect(gc.activity.maxRequestsInFlight == 1)
  }
}

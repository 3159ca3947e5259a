// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import StorageRepository
import Testing
import VHD

@Suite struct LeafPauseTests {
  /// One leaf coalesce of a `leafMiB` leaf while a guest writes 4 KiB at 50/s into its first 8 MiB.
  /// No fixed costs (`GCCosts.zero`): the pauses are the disk's times alone, which the bounds below
  /// derive; FidelityTests check the costs.
  func leafPause(design: LeafCoalesceDesign, leafMiB: Int, kind: SRKind = .file) throws -> (
    LeafAttempt, PoolSimulation, Int
  ) {
    let storage = MemoryStorage(flavour: .inMemory)
    let sr = SR(
      storage: storage, directory: "/sr", kind: kind, capacity: 8 << 30, stamps: StampSequence(seed: 3))
    let uuid = try prepareLeafWork(sr, virtualSize: 256 << 20, leafBytes: leafMiB << 20)
    let pool = try PoolSimulation(
      disk: slowDisk, sr: sr, gc: GCSettings(quietPeriod: .zero, costs: .zero, leafDesign: design), seed: 3)
    pool.recordWrites = true
    let vdi = try pool.attach(vdi: uuid)
    try pool.addVM(
      vdi: vdi,
      workload: WorkloadSpec(readFraction: 0, arrivals: .openLoop(ratePerSecond: 50), region: 0..<(8 << 20)))
    let r = try pool.run(for: .seconds(60))
    let gc = try #require(r.gc)
    try #require(gc.leaf.attempts.count == 1)
    #expect(try sr.scanTree().depth(of: uuid) == 1)
    return (gc.leaf.attempts[0], pool, vdi)
  }

  /// Live pauses the guest for the whole copy, so its pause grows with the leaf; mirror pauses only
  /// for the last pass, which re-copies at most the 4 blocks (8 MiB) the guest writes to: read and
  /// write of 8 MiB at 40 MB/s is 0.42 s, plus the reopen, whatever the leaf's size.
  @Test func mirrorPauseStaysBoundedWhileLivePauseGrows() throws {
    let live = LeafCoalesceDesign.liveOnly(
      LiveCoalescePolicy(timeoutSeconds: 1000, maxSizeWithoutEstimate: 1 << 30))
    let mirror = LeafCoalesceDesign.mirror(MirrorParameters())
    let (live32, _, _) = try leafPause(design: live, leafMiB: 32)
    let (live128, _, _) = try leafPause(design: live, leafMiB: 128)
    let (mirror32, _, _) = try leafPause(design: mirror, leafMiB: 32)
    let (mirror128, _, _) = try leafPause(design: mirror, leafMiB: 128)
    for a in [live32, live128, mirror32, mirror128] { #expect(a.outcome == .success) }
    // Live: the pause is the copy, 4× the data gives 3.5×–4.5× the pause.
    let ratio = live128.pause.seconds / live32.pause.seconds
    #expect(ratio > 3.5 && ratio < 4.5)
    #expect(live128.bytesCopied == 128 << 20)
    // Mirror: under the bound at both sizes, and below live's smallest pause.
    #expect(mirror32.pause < .milliseconds(500) && mirror128.pause < .milliseconds(500))
    #expect(mirror128.pause < live32.pause)
    #expect(mirror32.passes >= 2 && mirror128.passes >= 2)
  }

  @Test(arguments: ["live-only", "mirror", "offline", "force"])
  func leafDataSurvivesTheSwap(design: String) throws {
    let d: LeafCoalesceDesign =
      design == "live-only"
      ? .liveOnly(LiveCoalescePolicy(maxSizeWithoutEstimate: 1 << 30)) : try LeafCoalesceDesign(name: design)
    let kind: SRKind = design == "offline" ? .lvm(.thick) : .file
    let (attempt, pool, vdi) = try leafPause(design: d, leafMiB: 16, kind: kind)
    #expect(attempt.outcome == .success)
    let chain = pool.chain(vdi: vdi)
    #expect(chain.depth == 1)
    // The prepared data (0x22 over 16 MiB, outside the guest's 8 MiB; 0x11 in the last 2 MiB).
    #expect(try chain.read(sector: (12 << 20) / 512, count: 8) == [UInt8](repeating: 0x22, count: 4096))
    #expect(
      try chain.read(sector: ((256 << 20) - 4096) / 512, count: 8) == [UInt8](repeating: 0x11, count: 4096))
    #expect(try pool.verifyVDI(vdi) == nil)
  }

  /// A guest writing 4 KiB at random over its whole 256 MiB disk at 400/s: every coalesce cycle
  /// leaves a leaf as big as the disk. `live` refuses (no speed estimate and 64 MiB ≥ 20 MiB);
  /// snapshot-coalesce under the 2019 tracker gives up, exactly where and why the tracker says.
  @Test func busyWriterDefeatsLiveAndSnapshotCoalesce() throws {
    func run(_ design: LeafCoalesceDesign) throws -> (LeafAttempt, PoolSimulation, SR, Int) {
      let storage = MemoryStorage(flavour: .inMemory)
      let sr = SR(
        storage: storage, directory: "/sr", kind: .file, capacity: 8 << 30, stamps: StampSequence(seed: 5))
      let uuid = try prepareLeafWork(sr, virtualSize: 256 << 20, leafBytes: 64 << 20)
      let pool = try PoolSimulation(
        disk: slowDisk, sr: sr, gc: GCSettings(quietPeriod: .zero, costs: .zero, leafDesign: design), seed: 5)
      pool.recordWrites = true
      let vdi = try pool.attach(vdi: uuid)
      try pool.addVM(
        vdi: vdi, workload: WorkloadSpec(readFraction: 0, arrivals: .openLoop(ratePerSecond: 400)))
      let r = try pool.run(for: .seconds(120))
      let gc = try #require(r.gc)
      try #require(gc.leaf.attempts.count == 1)
      #expect(!pool.gcAlive)
      return (gc.leaf.attempts[0], pool, sr, vdi)
    }
    let (live, livePool, liveSR, liveVDI) = try run(.liveOnly(.xcp))
    #expect(live.outcome == .notAllowed)
    #expect(live.pause == .zero && live.bytesCopied == 0)
    #expect(try liveSR.scanTree().depth(of: try #require(livePool.uuid(ofVDI: liveVDI))) == 2)

    let (sc, pool, sr, vdi) = try run(.sm(.xcp, .v2022))
    guard case .gaveUp(let reason) = sc.outcome else {
      Issue.record("snapshot-coalesce ended \(sc.outcome)")
      return
    }
    // Replaying the sizes the GC fed gives up at the same iteration, for the same reason.
    var tracker = CoalesceTracker(variant: .v2022)
    var replayed: CoalesceTracker.GiveUpReason?
    for (k, it) in sc.iterationLog.enumerated() {
      replayed = tracker.abort(previousSize: it.sizeBefore, currentSize: it.sizeAfter)
      #expect((replayed == nil) == (k < sc.iterationLog.count - 1))
    }
    #expect(replayed.map { tracker.message(for: $0) } == reason)
    #expect(sc.iterations == sc.iterationLog.count && sc.iterations >= 2)
    #expect(sc.leafSizes == sc.iterationLog.map(\.sizeAfter))
    // Each iteration's leaf holds what the guest wrote meanwhile: most of the 256 MiB disk.
    #expect(sc.iterationLog.last!.sizeAfter > 200 << 20)
    // Given up: the chain keeps a base copy under the leaf, and the data is intact.
    #expect(try sr.scanTree().depth(of: try #require(pool.uuid(ofVDI: vdi))) == 2)
    #expect(try pool.verifyVDI(vdi) == nil)
  }

  /// A light writer: one snapshot-coalesce iteration shrinks the 64 MiB leaf to the few blocks the
  /// guest wrote meanwhile, its coalesce gives the speed log an estimate, and the live step passes.
  @Test func snapshotCoalesceConvergesThenGoesLive() throws {
    let (attempt, pool, vdi) = try leafPause(design: .sm(.xcp, .v2025_09), leafMiB: 64)
    #expect(attempt.outcome == .success)
    #expect(attempt.iterations == 1)
    #expect(attempt.iterationLog[0].sizeBefore > 64 << 20)
    #expect(attempt.iterationLog[0].sizeAfter <= 8 << 20 + 64 << 10)
    #expect(attempt.iterationLog[0].bytesCopied == 64 << 20)
    #expect(pool.chain(vdi: vdi).depth == 1)
    #expect(try pool.verifyVDI(vdi) == nil)
    let gc = pool.gcResult
    #expect(gc.counts.coalesces == 1 && gc.counts.leafCoalesces == 1 && gc.leaf.iterations == 1)
    #expect(gc.speedSamples.count == 2)
  }

  /// Offline (LVM): the VM is suspended for the whole copy, so the pause is at least the suspend, the
  /// copy's disk time (read and write of 16 MiB at 40 MB/s) and the resume, and the guest's requests
  /// stall for it.
  @Test func offlinePausesForTheWholeCopy() throws {
    let offline = OfflineParameters(suspendSeconds: 3, resumeSeconds: 2)
    let (attempt, pool, _) = try leafPause(design: .offline(offline), leafMiB: 16, kind: .lvm(.thick))
    #expect(attempt.outcome == .success)
    #expect(attempt.bytesCopied == 16 << 20)
    #expect(attempt.pause.seconds >= 3 + 2 + 2 * Double(16 << 20) / 40e6)
    #expect(attempt.pause.seconds < 3 + 2 + 3)
    let r = try pool.run(for: .zero)
    #expect(r.stalls.requests > 0)
    #expect(r.stalls.max <= attempt.pause && r.stalls.max.seconds > 0.8 * attempt.pause.seconds)
    #expect(r.gc?.pauses.first?.max == attempt.pause)
  }
}

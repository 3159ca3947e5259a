// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing
import VHD
import Workloads

@Suite struct ConsistencyTests {
  @Test(arguments: [
    ConsistencyScenario.Workload.sequential, ConsistencyScenario.Workload.random,
    ConsistencyScenario.Workload.fragmenting,
  ])
  func snapshotsDuringAWorkloadAreConsistent(workload: ConsistencyScenario.Workload) throws {
    let scenario = ConsistencyScenario(
      workload: workload, snapshots: 4, seed: 3, duration: .milliseconds(200), virtualSize: 64 << 20)
    let (pool, vdi) = try scenario.makePool()
    let result = try pool.run(for: scenario.duration)
    let report = try ConsistencyOracle(pool: pool).verify()
    #expect(report.snapshots == 4 && report.notTaken == 0)
    #expect(report.consistent, "\(report.firstMismatch.map(String.init(describing:)) ?? "late writes")")
    #expect(report.firstMismatch == nil && report.lateWrites == 0)
    // Real work was checked: writes before each cut, and the sectors they touched.
    #expect(report.results.allSatisfy { $0.writesChecked > 0 && $0.sectorsChecked > 0 })
    #expect(report.writesChecked > 100)
    // Each snapshot froze the old leaf and put a new leaf on top: chain depth grows by one each time.
    let snaps = pool.snapshots
    #expect(pool.chain(vdi: vdi).depth == scenario.depth + 4)
    #expect(Set(snaps.compactMap(\.imagePath)).count == 4)
    #expect(snaps.allSatisfy { $0.takenAt! >= $0.pausedAt! && $0.resumedAt! > $0.takenAt! })
    // The cuts grow, and writes were in flight at the pauses (so the drain mattered).
    #expect(zip(snaps, snaps.dropFirst()).allSatisfy { $0.cut < $1.cut })
    #expect(snaps.contains { !$0.inFlightWrites.isEmpty })
    #expect(result.reopens.count == 4)
  }

  @Test func snapshotWithoutDrainIsCaughtAtTheFirstInFlightWrite() throws {
    let scenario = ConsistencyScenario(
      workload: .sequential, snapshots: 1, seed: 5, duration: .milliseconds(40), virtualSize: 64 << 20,
      skipDrain: true)
    let (pool, vdi) = try scenario.makePool()
    try pool.run(for: scenario.duration)
    let snap = pool.snapshots[0]
    try #require(!snap.inFlightWrites.isEmpty)
    let log = pool.writeLog(vdi: vdi)
    // Sequential writes on an empty disk (no wrap-around yet): the lowest in-flight write's first
    // sector is where the snapshot first differs; it should hold that write, and holds nothing.
    try #require(log.last!.lba + UInt64(log.last!.sectors) < 64 << 20 / 512)
    let first = snap.inFlightWrites.min { log[$0].lba < log[$1].lba }!
    let report = try ConsistencyOracle(pool: pool).verify()
    #expect(!report.consistent)
    let mismatch = try #require(report.firstMismatch)
    #expect(mismatch.vdi == vdi && mismatch.snapshot == 0)
    #expect(mismatch.lba == log[first].lba)
    #expect(mismatch.expected == SectorTag.tag(write: first, lba: log[first].lba))
    #expect(mismatch.found == 0)
    // The in-flight writes completed after the snapshot was taken.
    #expect(report.results[0].lateWrites == snap.inFlightWrites.count)
  }

  @Test func snapshotStallIsRecorded() throws {
    let scenario = ConsistencyScenario(
      workload: .random, snapshots: 3, seed: 7, duration: .milliseconds(150), virtualSize: 64 << 20)
    let (pool, _) = try scenario.makePool()
    let result = try pool.run(for: scenario.duration)
    let report = try ConsistencyOracle(pool: pool).verify()
    #expect(report.consistent)
    for snap in pool.snapshots {
      let stall = try #require(snap.stall)
      // Drain plus the reopen's metadata read: more than one flash read, far less than the run.
      #expect(stall > .microseconds(80) && stall < .milliseconds(50))
    }
    #expect(report.maxStall == pool.snapshots.compactMap(\.stall).max())
    #expect(result.stalls.requests > 0 && result.stalls.max > .zero)
  }

  @Test func sameSeedGivesTheSameVerification() throws {
    func summary(_ seed: UInt64) throws -> (ConsistencyReport, [WriteRecord]) {
      let scenario = ConsistencyScenario(
        workload: .fragmenting, snapshots: 3, seed: seed, duration: .milliseconds(100), virtualSize: 64 << 20)
      let (pool, vdi) = try scenario.makePool()
      try pool.run(for: scenario.duration)
      return (try ConsistencyOracle(pool: pool).verify(), pool.writeLog(vdi: vdi))
    }
    let (a, logA) = try summary(9)
    let (b, logB) = try summary(9)
    let (c, _) = try summary(10)
    #expect(a == b)
    #expect(firstMismatch(logA, logB) == nil)
    #expect(a.consistent && c.consistent)
    #expect(a.results.map(\.writesChecked) != c.results.map(\.writesChecked))
  }

  @Test func generatorVMRunsAndBuiltInWorkloadIsUnchanged() throws {
    // A generator-driven VM on a metadata-only pool (no write log): it reads and writes like the
    // built-in workload does.
    let (pool, vdi) = try makePool(depth: 3)
    let generator = try SyntheticGenerator(
      SyntheticWorkload(
        arrivals: .closedLoop(ioDepth: 4), readFraction: 0.5, flushProbability: 0.05, region: 0..<(64 << 11)),
      streams: WorkloadStreams(seed: 1, name: "t"))
    try pool.addVM(vdi: vdi, generator: generator)
    let r = try pool.run(for: .milliseconds(20))
    // (Early writes allocate 2 MiB blocks in the leaf, so this is not many.)
    #expect(r.counts.reads > 10 && r.counts.writes > 10)
    #expect(pool.flushes > 0)
    #expect(pool.writeLog(vdi: vdi).isEmpty)
  }

  @Test func fileLevelHookChecksDurableFiles() throws {
    let good = ConsistencyScenario(
      workload: .sequential, snapshots: 1, seed: 2, duration: .milliseconds(40), virtualSize: 64 << 20)
    let (pool, vdi) = try good.makePool()
    try pool.run(for: good.duration)
    let log = pool.writeLog(vdi: vdi)
    let snap = pool.snapshots[0]
    func file(_ name: String, _ w: WriteRecord) -> FileExtents {
      FileExtents(
        name: name, vdi: vdi, sectors: [w.lba..<w.lba + UInt64(w.sectors)], durableBySequence: w.guestSequence
      )
    }
    let files = [file("before", log[snap.cut - 1]), file("after", log[snap.cut])]
    #expect(try ConsistencyOracle(pool: pool).verifyFiles(snapshot: 0, extents: files).isEmpty)
    // Without the drain, a file whose write was in flight at the pause counts as durable before the
    // snapshot but is not in it.
    var broken = good
    broken.skipDrain = true
    let (bad, badVDI) = try broken.makePool()
    try bad.run(for: broken.duration)
    let badLog = bad.writeLog(vdi: badVDI)
    let w = badLog[try #require(bad.snapshots[0].inFlightWrites.first)]
    let torn = FileExtents(
      name: "torn", vdi: badVDI, sectors: [w.lba..<w.lba + UInt64(w.sectors)],
      durableBySequence: w.guestSequence)
    let found = try ConsistencyOracle(pool: bad).verifyFiles(snapshot: 0, extents: [torn])
    #expect(found.count == 1 && found.first?.file == "torn" && found.first?.sector.lba == w.lba)
  }

  /// The thread's question: snapshots taken during a package install are usable. Every snapshot is
  /// block-consistent, and every file whose rename was durable before a snapshot is whole in it.
  @Test func snapshotsDuringAPackageInstallKeepDurableFilesWhole() throws {
    var scenario = ConsistencyScenario(
      workload: .yumInstall, snapshots: 4, seed: 3, duration: .seconds(2), virtualSize: 512 << 20)
    scenario.makeCustomGenerator = { sectors, seed in
      try PackageInstallGenerator(.small(), diskSectors: sectors, seed: seed)
    }
    let (result, report, files) = try scenario.run()
    #expect(report.consistent && report.firstMismatch == nil)
    #expect(report.results.count == 4)
    let check = try #require(files)
    #expect(check.mismatches.isEmpty)
    #expect(check.filesDurable == 50 + PackageInstallSpec.small().postInstall.count)
    #expect(check.filesChecked > 0)
    #expect(result.counts.writes > 0)
  }
}

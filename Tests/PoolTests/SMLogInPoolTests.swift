// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import StorageRepository
import Testing
import VHD

/// The GC's SMlog-style log (docs/storage-manager.md#smlog-format) in a run, so people who read
/// SMlog can read a simulation.
@Suite struct SMLogInPoolTests {
  @Test func threeSnapshotsDeletedReadLikeSMlog() throws {
    let (pool, sr, vdis) = try makeSRPool(design: .liveOnly(.xcp))
    let log = try pool.enableSMLog(pid: 4242)
    try pool.scheduleSnapshotScript(
      vdi: vdis[0], count: 3, every: .seconds(1), start: .seconds(1), deleteAllAt: .seconds(4))
    let r = try runUntilGCIdle(pool, after: .seconds(5), limit: .seconds(100))
    let gc = try #require(r.gc)
    #expect(gc.counts.coalesces == 2 && gc.counts.leafCoalesces == 1)
    let lines = log.lines
    // Every line: simulated time stamp, ident and pid, as syslog writes them.
    let stamped = lines.allSatisfy { $0.hasPrefix("t+") && $0.contains(" SMGC: [4242] ") }
    #expect(stamped, "\(lines.first { !($0.hasPrefix("t+") && $0.contains(" SMGC: [4242] ")) } ?? "")")
    let texts = lines.map { String($0[$0.range(of: "] ")!.upperBound...]) }
    // The attach kick finds no work; the delete's kick coalesces twice, then merges the leaf.
    #expect(texts.first { $0.hasPrefix("SR sr ('sr') (1 VDIs in 1 VHD trees):") } != nil)
    #expect(texts.filter { $0.hasPrefix("Coalesce candidate: ") }.count == 2)
    #expect(texts.filter { $0.hasPrefix("Coalesced size = ") }.count == 2)
    let uuid = try #require(pool.uuid(ofVDI: vdis[0]))
    #expect(texts.filter { $0 == "Leaf-coalesce candidate: \(uuid)" }.count == 1)
    #expect(texts.last == "No work, exiting")
    #expect(texts.filter { $0 == "No work, exiting" }.count == gc.counts.runs)
    // After the deletes the dump shows the 4-level tree changing: only changed trees after the first.
    #expect(texts.contains { $0.hasSuffix("showing only VHD trees that changed:") })
    // The leaf ends as the tree's only node, under the VDI's own uuid.
    #expect(try sr.scanTree().nodes.map(\.uuid) == [uuid])
    // Times never go backwards.
    let times = lines.map { Double($0.dropFirst(2).prefix { $0 != " " })! }
    #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
  }
}

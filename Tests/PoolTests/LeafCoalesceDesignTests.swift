// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import StorageRepository
import Testing
import VHD

@Suite struct LeafCoalesceInPoolTests {
  /// The thread's story: a random writer, 16 snapshots a second apart, all deleted at once; the GC
  /// coalesces the 16 base copies into one, and only a leaf-coalescing design removes the last.
  @Test(arguments: [
    ("none", SRKind.file), ("live-only", .file), ("mirror", .file), ("none", .lvm(.thin)),
    ("live-only", .lvm(.thin)), ("mirror", .lvm(.thin)), ("offline", .lvm(.thin)), ("sm", .file),
    ("force", .file), ("live-only", .lvm(.thick)),
  ])
  func sixteenSnapshotsDeletedThenGC(design: String, kind: SRKind) throws {
    let (pool, sr, vdis) = try makeSRPool(kind: kind, design: try LeafCoalesceDesign(name: design))
    let ops = try pool.scheduleSnapshotScript(
      vdi: vdis[0], count: 16, every: .seconds(1), start: .seconds(1), deleteAllAt: .seconds(18))
    let r = try runUntilGCIdle(pool, after: .seconds(19), limit: .seconds(200))
    let gc = try #require(r.gc)
    let uuid = try #require(pool.uuid(ofVDI: vdis[0]))
    #expect(pool.srOperations.allSatisfy { $0.error == nil })
    #expect(pool.srOperations[ops.count].deleted.count == 16)
    // 17 levels after the 16th snapshot; 16 base copies coalesce into 1 (15 coalesces).
    #expect(gc.series.depth[0].max == 17)
    #expect(gc.counts.coalesces == 15)
    #expect(gc.counts.garbageCollected == 0)
    let expectedDepth = design == "none" ? 2 : 1
    #expect(try sr.scanTree().depth(of: uuid) == expectedDepth)
    #expect(gc.series.chainDepthAfterGC == expectedDepth)
    #expect(gc.metrics["chain_depth_after_gc"] == Double(expectedDepth))
    #expect(gc.counts.leafCoalesces == (design == "none" ? 0 : 1))
    #expect(gc.leaf.attempts.count == (design == "none" ? 0 : 1))
    if design != "none" { #expect(gc.leaf.attempts[0].outcome == .success) }
    // The tapdisk runs on the chain the SR now has.
    #expect(pool.chain(vdi: vdis[0]).depth == expectedDepth)
    #expect(try pool.verifyVDI(vdis[0]) == nil)
    #expect(r.requests > 900)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import StorageRepository
import Testing
import VHD

@Suite struct SRPoolTests {
  @Test func placementFollowsRenamesAndRemovals() throws {
    var p = SRPlacement(kind: .file, capacity: 64 << 20)
    let a = try p.attach("/sr/a.vhd", size: 0)
    try p.reserve(volume: a, upTo: 3 << 20)
    let b = try p.attach("/sr/b.vhd", size: 0)
    try p.reserve(volume: b, upTo: 1 << 20)
    var before: [DiskOp] = []
    try p.translate(volume: a, offset: 0, length: 3 << 20, isWrite: false, into: &before)
    // A rename keeps the volume and its extents (the data did not move on the device).
    p.rename("/sr/a.vhd", to: "/sr/base.vhd")
    #expect(p.volume(named: "/sr/a.vhd") == nil)
    #expect(p.volume(named: "/sr/base.vhd") == a)
    var after: [DiskOp] = []
    try p.translate(volume: a, offset: 0, length: 3 << 20, isWrite: false, into: &after)
    #expect(after == before)
    // A rename over an existing name replaces it (its extents are freed).
    p.rename("/sr/b.vhd", to: "/sr/base.vhd")
    #expect(p.volume(named: "/sr/base.vhd") == b)
    #expect(p.allocatedBytes == 1 << 20)
    // Removal frees the extents, which first fit hands out again from the lowest.
    p.remove("/sr/base.vhd")
    #expect(p.allocatedBytes == 0)
    let c = try p.attach("/sr/c.vhd", size: 0)
    var ops: [DiskOp] = []
    try p.translate(volume: c, offset: 0, length: 4096, isWrite: true, into: &ops)
    #expect(ops == [DiskOp(offset: 0, length: 4096, isWrite: true, file: Int32(c))])
  }

  @Test func lvmResizeInflatesAndDeflates() throws {
    var p = SRPlacement(kind: .lvm, capacity: 1 << 30)
    let v = try p.attach("/vg/VHD-x", size: 8 << 20)
    #expect(p.allocatedBytes(volume: v) == 8 << 20)
    try p.resize(volume: v, to: 20 << 20 + 1)
    #expect(p.allocatedBytes(volume: v) == 24 << 20)
    try p.resize(volume: v, to: 4 << 20)
    #expect(p.allocatedBytes(volume: v) == 4 << 20)
    #expect(p.allocatedBytes == 4 << 20)
  }

  @Test func depthTimeAverageIsPiecewiseConstant() {
    let series = DepthSeries(
      vdi: "v", samples: [DepthSample(time: .zero, depth: 1), DepthSample(time: .seconds(2), depth: 3)])
    #expect(series.timeAverage(until: .seconds(4)) == 2)
    #expect(series.max == 3 && series.final == 3)
  }

  /// Nightly-backup style: every 10 s a double snapshot of each VDI, the 3 newest kept, each older
  /// one deleted (kicking the GC, which keeps the chains short with `live-only`).
  @Test func backupScheduleKeepsTheNewestSnapshots() throws {
    let (pool, sr, vdis) = try makeSRPool(design: try LeafCoalesceDesign(name: "live-only"), vdis: 2)
    try pool.scheduleBackups(
      vdis: vdis, every: .seconds(10), keep: 3, first: .seconds(1), until: .seconds(61))
    let r = try pool.run(for: .seconds(90))
    let gc = try #require(r.gc)
    let snapshots = pool.srOperations.filter { if case .snapshot = $0.kind { true } else { false } }
    #expect(snapshots.count == 14)  // 1, 11, …, 61 s for 2 VDIs
    #expect(snapshots.allSatisfy { $0.error == nil && $0.snapshotUUID != nil && $0.backup == 0 })
    let deleted = pool.srOperations.flatMap(\.deleted)
    #expect(deleted.count == 8)
    // The oldest went first: the deleted ones are each VDI's first four snapshots.
    for v in vdis {
      let made = snapshots.filter { $0.kind == .snapshot(vdi: v, kind: .double) }.compactMap(\.snapshotUUID)
      #expect(
        Set(made.prefix(4)).isSubset(of: Set(deleted)) && Set(made.suffix(3)).isDisjoint(with: Set(deleted)))
    }
    #expect(sr.records.values.filter(\.isSnapshot).count == 6)
    #expect(gc.counts.kicks == 1 + 8 && gc.counts.runs >= 2)
    // Three snapshots kept per VDI: each chain is base copies for them plus the leaf.
    for v in vdis {
      let depth = try sr.scanTree().depth(of: try #require(pool.uuid(ofVDI: v)))
      #expect(depth <= 4)
      #expect(try pool.verifyVDI(v) == nil)
    }
    #expect(gc.series.spacePeak >= gc.series.space.map(\.bytes).max()!)
    #expect(gc.series.space.last!.bytes == (try sr.space.physicalUtilisation()))
    for name in [
      "gc_bytes_copied", "leaf_pause_s_max", "leaf_pause_s_mean", "leaf_give_ups", "chain_depth_max",
      "chain_depth_time_avg", "chain_depth_after_gc", "space_peak_bytes",
    ] {
      #expect(gc.metrics[name] != nil, "metric \(name)")
    }
  }

  @Test(arguments: [SnapshotKind.double, .single, .internal])
  func scheduledSnapshotKinds(kind: SnapshotKind) throws {
    let (pool, sr, vdis) = try makeSRPool(vdis: 1)
    let allocation = sr.virtualAllocation
    for k in 0..<3 { try pool.scheduleSRSnapshot(vdi: vdis[0], at: .seconds(1 + k), kind: kind) }
    let r = try pool.run(for: .seconds(5))
    let ops = pool.srOperations
    #expect(ops.count == 3 && ops.allSatisfy { $0.error == nil && $0.resumedAt != nil })
    #expect(ops.allSatisfy { ($0.snapshotUUID != nil) == (kind == .double) && $0.baseCopyUUID != nil })
    // Each snapshot adds one level under the VDI; the tapdisk follows.
    #expect(try sr.scanTree().depth(of: try #require(pool.uuid(ofVDI: vdis[0]))) == 4)
    #expect(pool.chain(vdi: vdis[0]).depth == 4)
    #expect(r.gc?.series.depth.first?.samples.map(\.depth) == [1, 2, 3, 4])
    // A double snapshot adds a visible VDI of the same size; single and internal do not... except
    // that single counts in the SR's virtual allocation, as the storage manager does.
    let grown = sr.virtualAllocation - allocation
    #expect(grown == (kind == .internal ? 0 : 3 * (64 << 20)))
    #expect(r.gc?.pauses.first?.count == 3)
    #expect(try pool.verifyVDI(vdis[0]) == nil)
  }
}

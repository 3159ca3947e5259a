// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import StorageRepository
import Testing
import VHD

/// The claims of the xen-api thread the project grew from ("How snapshot work on LVMoISCS SR"), each
/// checked through the SR and the pool as sm's rules decide them (docs/storage-manager.md#predicates,
/// docs/storage-manager.md#leaf-coalesce-designs).
@Suite struct XenAPIThreadTests {
  /// "After deleting the snapshot the VDI still sits on a base copy": true of `none`
  /// (`leaf-coalesce=false`; XCP 2010), false of `sm`, whose leaf coalesce merges the leaf.
  @Test(
    "one snapshot, then deleted: depth 2 with none, 1 with sm (cleanup.py findLeafCoalesceable, _coalesceLeaf)",
    arguments: [("none", 2), ("sm", 1)])
  func oneSnapshotDeleted(design: String, depth: Int) throws {
    let (pool, sr, vdi, uuid) = try fidelityPool(gc: gcSettings(try LeafCoalesceDesign(name: design)))
    let snap = try pool.scheduleSRSnapshot(vdi: vdi, at: .seconds(1))
    _ = try pool.scheduleSRDelete(snapshotsOf: [snap], at: .seconds(3))
    let r = try runUntilGCIdle(pool, after: .seconds(4), limit: .seconds(120))
    #expect(pool.srOperations.allSatisfy { $0.error == nil })
    #expect(try sr.scanTree().depth(of: uuid) == depth)
    #expect(r.gc?.counts.leafCoalesces == (depth == 1 ? 1 : 0))
    #expect(try pool.verifyVDI(vdi) == nil)
  }

  /// "A second snapshot makes the middle base copy go away": two snapshots, the first deleted. Its
  /// base copy keeps one child, the hidden middle node, which is coalesceable (hidden, not a leaf,
  /// the only child of its parent: `VDI.isCoalesceable`) even with leaf coalesce off.
  @Test("a second snapshot makes the hidden middle coalesceable (cleanup.py VDI.isCoalesceable)")
  func secondSnapshotMakesTheMiddleCoalesceable() throws {
    let (pool, sr, vdi, uuid) = try fidelityPool(gc: gcSettings(.none))
    let first = try pool.scheduleSRSnapshot(vdi: vdi, at: .seconds(1))
    _ = try pool.scheduleSRSnapshot(vdi: vdi, at: .seconds(2))
    _ = try pool.scheduleSRDelete(snapshotsOf: [first], at: .seconds(3))
    try pool.run(for: .milliseconds(2999))
    #expect(try sr.scanTree().depth(of: uuid) == 3)
    let r = try runUntilGCIdle(pool, after: .seconds(4), limit: .seconds(120))
    #expect(r.gc?.counts.coalesces == 1)
    // base → middle → leaf became base → leaf (the second snapshot still hangs off the base).
    #expect(try sr.scanTree().depth(of: uuid) == 2)
    #expect(try pool.verifyVDI(vdi) == nil)
  }

  /// A clone shares its source's base copy: the base copy the clone hangs off keeps two children and
  /// cannot be coalesced (`isCoalesceable` needs its parent's only child), while the node above it
  /// still coalesces and the VDI below it still leaf-coalesces.
  @Test("a clone blocks coalesce of its linked snapshot; above and below still coalesce")
  func cloneBlocksItsLinkedSnapshot() throws {
    let sr = SR(
      storage: MemoryStorage(flavour: .inMemory), directory: "/sr", kind: .file, capacity: 4 << 30,
      stamps: StampSequence(seed: 7))
    let v = try sr.createVDI(nameLabel: "vm", virtualSize: 16 << 20).uuid
    var next: UInt64 = 0
    func write() throws {
      let chain = try VHDChain.open(
        sr.path(of: v), storage: sr.storage, writable: true, options: sr.engineOptions)
      try chain.write(byteOffset: next << 21, bytes: [UInt8](repeating: UInt8(next + 1), count: 4096))
      try chain.close()
      next += 1
    }
    try write()
    let s0 = try #require(try sr.snapshot(v).snapshot).uuid  // root R: {S0, V}
    try write()
    let clone = try #require(try sr.clone(v).snapshot).uuid  // B1 under R: {V, C}
    try write()
    let s1 = try #require(try sr.snapshot(v).snapshot).uuid  // B2 under B1: {S1, V}
    try write()
    try sr.delete(s0)
    try sr.delete(s1)
    let tree = try sr.scanTree()
    #expect(tree.depth(of: v) == 4 && tree.depth(of: clone) == 3)
    let linked = try #require(tree.parent(of: v))  // B2: its parent B1 also holds the clone
    let above = try #require(tree.parent(of: linked))  // B1: the root's only child now
    let plan = try sr.plan()
    #expect(!tree.isCoalesceable(linked))
    #expect(plan.coalesceable == [above])
    #expect(plan.leafCoalesceable == [v])
    let counts = try GarbageCollector(sr: sr).runToCompletion()
    #expect(counts.coalesces == 1 && counts.leafCoalesces == 1)
    // B1 merged into the root, V into B2: VDI and clone each sit right under the root.
    let after = try sr.scanTree()
    #expect(after.depth(of: v) == 2 && after.depth(of: clone) == 2)
    #expect(after.parent(of: v) == after.parent(of: clone))
  }
}

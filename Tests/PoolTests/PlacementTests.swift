// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing

@Suite struct PlacementTests {
  @Test func extentAllocatorIsFirstFit() {
    var a = ExtentAllocator(extentSize: 1 << 20, capacity: 4 << 20)
    #expect(a.allocate() == 0 && a.allocate() == 1 && a.allocate() == 2)
    a.free(1)
    #expect(a.allocate() == 1)
    #expect(a.allocate() == 3)
    #expect(a.allocate() == nil)
    #expect(a.allocatedBytes == 4 << 20)
  }

  /// Random allocate/free sequences against a one-flag-per-extent first-fit reference: the
  /// word-wise scan must hand out exactly the lowest free extent every time, across word edges.
  @Test(arguments: [1, 2, 3] as [UInt64]) func extentAllocatorMatchesFirstFitReference(seed: UInt64) {
    var random = SplitMix64(seed: seed)
    let count = 64 * 5 + 17
    var a = ExtentAllocator(extentSize: 1 << 20, capacity: UInt64(count) << 20)
    var reference = [Bool](repeating: false, count: count)
    for step in 0..<4_000 {
      let held = reference.indices.filter { reference[$0] }
      if !held.isEmpty && random.next() % 5 < 2 {
        let extent = held[Int(random.next() % UInt64(held.count))]
        a.free(extent)
        reference[extent] = false
      } else {
        let expected = reference.firstIndex(of: false)
        let got = a.allocate()
        #expect(got == expected, "step \(step)")
        if let expected { reference[expected] = true }
      }
      #expect(a.allocatedCount == reference.filter { $0 }.count)
    }
  }

  /// `allocate(count:)` against as many single calls, on a twin allocator, over random frees and
  /// bulk requests that cross word edges and run into a full device: the same extents in the same
  /// order, and the same allocator afterwards.
  @Test(arguments: [1, 2, 3] as [UInt64]) func bulkAllocationMatchesSingleCalls(seed: UInt64) {
    var random = SplitMix64(seed: seed)
    let count = 64 * 4 + 37
    var bulk = ExtentAllocator(extentSize: 1 << 20, capacity: UInt64(count) << 20)
    var single = bulk
    var held: [Int] = []
    var ranFull = 0
    for step in 0..<2_000 {
      // Free a few held extents on both.
      for _ in 0..<Int(random.next() % 8) where !held.isEmpty {
        let extent = held.remove(at: Int(random.next() % UInt64(held.count)))
        bulk.free(extent)
        single.free(extent)
      }
      let want = Int(random.next() % 90)
      var got: [Int] = []
      let given = bulk.allocate(count: want) { got.append($0) }
      var expected: [Int] = []
      while expected.count < want, let e = single.allocate() { expected.append(e) }
      #expect(given == got.count && got == expected, "step \(step)")
      #expect(bulk == single, "step \(step)")
      held += got
      if given < want { ranFull += 1 }
    }
    #expect(ranFull > 0)
  }

  @Test func fileSRInterleavesGrowingFilesAndSplitsAtExtents() throws {
    var p = SRPlacement(kind: .file, capacity: 1 << 30)
    let a = try p.attach("a", size: 0)
    let b = try p.attach("b", size: 0)
    var ops: [DiskOp] = []
    try p.translate(volume: a, offset: 0, length: 4096, isWrite: true, into: &ops)
    try p.translate(volume: b, offset: 0, length: 4096, isWrite: true, into: &ops)
    // a's second extent comes after b's first: a 8 KiB write across a's extent boundary splits.
    try p.translate(volume: a, offset: (1 << 20) - 4096, length: 8192, isWrite: false, into: &ops)
    let mib: UInt64 = 1 << 20
    let expected = [
      DiskOp(offset: 0, length: 4096, isWrite: true, file: Int32(a)),
      DiskOp(offset: mib, length: 4096, isWrite: true, file: Int32(b)),
      DiskOp(offset: mib - 4096, length: 4096, isWrite: false, file: Int32(a)),
      DiskOp(offset: 2 * mib, length: 4096, isWrite: false, file: Int32(a)),
    ]
    #expect(firstMismatch(ops, expected) == nil)
    #expect(p.allocatedBytes == 3 * mib)
  }

  @Test func lvmSRAllocatesWholeVolumesInAttachOrder() throws {
    var p = SRPlacement(kind: .lvm, capacity: 1 << 30)
    let a = try p.attach("a", size: 10 << 20)  // 3 extents of 4 MiB
    let b = try p.attach("b", size: 4 << 20)
    var ops: [DiskOp] = []
    try p.translate(volume: b, offset: 512, length: 512, isWrite: false, into: &ops)
    try p.translate(volume: a, offset: (8 << 20) + 1, length: 1, isWrite: false, into: &ops)
    #expect(
      ops == [
        DiskOp(offset: (12 << 20) + 512, length: 512, isWrite: false, file: Int32(b)),
        DiskOp(offset: (8 << 20) + 1, length: 1, isWrite: false, file: Int32(a)),
      ])
    #expect(p.allocatedBytes == 16 << 20)
    #expect(throws: PoolError.self) {
      var small = SRPlacement(kind: .lvm, capacity: 8 << 20)
      _ = try small.attach("big", size: 12 << 20)
    }
  }
}

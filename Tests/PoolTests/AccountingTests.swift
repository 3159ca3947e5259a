// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing
import VHD

/// Per-level engine accounting as the run result reports it: reads of data held only by the base
/// probe every level exactly once.
@Suite struct AccountingTests {
  func readRun(depth: Int, engine: EngineOptions) throws -> RunResult {
    let (pool, vdi) = try makePool(depth: depth, engine: engine)
    try pool.addVM(vdi: vdi, workload: WorkloadSpec(readFraction: 1, arrivals: .closedLoop(ioDepth: 4)))
    return try pool.run(for: .milliseconds(200))
  }

  @Test(arguments: [1, 4, 16])
  func readsFallingThroughKLevelsProbeKBATs(depth: Int) throws {
    let blocks = (64 << 20) / Int(VHDLimits.blockSize)
    for batmap in [true, false] {
      for cache in [0, Int.max] {
        let r = try readRun(
          depth: depth, engine: EngineOptions(bitmapCacheCapacity: cache, useBATMap: batmap))
        let n = r.requests
        #expect(n > 1_000)
        #expect(r.chain.levels.count == depth)
        #expect(firstMismatch(r.chain.levels.map(\.batProbes), Array(repeating: n, count: depth)) == nil)
        #expect(r.chain.levels.map(\.batProbes).reduce(0, +) == depth * n)
        #expect(r.chain.levelsProbedSum == depth * n)
        #expect(r.io.count(.data) == n)
        let base = r.chain.levels[depth - 1]
        #expect(r.chain.levels.dropLast().allSatisfy { $0.bitmapConsults == 0 && $0.sectorsServed == 0 })
        #expect(base.sectorsServed == 8 * n)
        if batmap {
          #expect(base.batmapShortcuts == n && base.bitmapConsults == 0)
        } else if cache == 0 {
          #expect(base.bitmapReads == n && base.bitmapCacheHits == 0 && r.io.count(.bitmap) == n)
        } else {
          // Warm cache: one device read per block (all 32 are touched), hits for the rest.
          #expect(base.bitmapReads == blocks && base.bitmapCacheHits == n - blocks)
        }
      }
    }
  }

  @Test func writesCountAllocationsAndReachTheLeafOnly() throws {
    let (pool, vdi) = try makePool(depth: 3)
    try pool.addVM(vdi: vdi, workload: WorkloadSpec(readFraction: 0, arrivals: .closedLoop(ioDepth: 2)))
    let r = try pool.run(for: .milliseconds(50))
    #expect(r.counts.writes == r.requests && r.counts.writes > 100)
    #expect(r.chain.levels[0].batProbes == r.counts.writes)
    #expect(r.chain.levels[1].batProbes == 0 && r.chain.levels[2].batProbes == 0)
    #expect(r.chain.blocksAllocated <= 32 && r.chain.blocksAllocated > 0)
    #expect(r.io.count(.data) >= r.counts.writes)
  }
}

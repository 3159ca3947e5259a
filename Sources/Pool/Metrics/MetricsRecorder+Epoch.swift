// SPDX-License-Identifier: GPL-3.0-or-later
import VHD

/// Guest I/O recorded in bulk at epoch resolution (docs/simulation.md#epoch-resolution): counts,
/// bytes and per-level lookups, but no latency, stall, physical-I/O or trace record (nothing is
/// timed), and the warm-up detector sees none of it.
extension MetricsRecorder {
  /// `writes` writes of `bytes` bytes in all whose leaf work was `leaf`, on a chain of `depth` levels.
  mutating func recordEpochWrites(
    _ writes: Int, bytes: UInt64, leaf: LevelWork, blocksAllocated: Int, depth: Int
  ) {
    growLevels(to: depth)
    result.counts.writes += writes
    result.counts.bytesWritten += bytes
    result.chain.levels[0] += leaf
    result.chain.levelsProbedSum += writes
    result.chain.chainDepthSum += writes * depth
    result.chain.blocksAllocated += blocksAllocated
  }

  /// `reads` reads whose work is `sample` (the sum over `sampled` of them) scaled by reads/sampled,
  /// rounded to the nearest count.
  mutating func recordEpochReads(_ reads: Int, sample: EpochReadSample, sampled: Int) {
    let depth = sample.levels.count
    growLevels(to: depth)
    let scale = Double(reads) / Double(sampled)
    func scaled(_ x: Int) -> Int { reads == sampled ? x : Int((Double(x) * scale).rounded()) }
    result.counts.reads += reads
    result.counts.bytesRead += UInt64(scaled(sample.sectors)) * 512
    for l in 0..<depth {
      let w = sample.levels[l]
      result.chain.levels[l].batProbes += scaled(w.batProbes)
      result.chain.levels[l].bitmapCacheHits += scaled(w.bitmapCacheHits)
      result.chain.levels[l].bitmapReads += scaled(w.bitmapReads)
      result.chain.levels[l].batmapShortcuts += scaled(w.batmapShortcuts)
      result.chain.levels[l].sectorsServed += scaled(w.sectorsServed)
    }
    result.chain.levelsProbedSum += scaled(sample.levelsProbed)
    result.chain.chainDepthSum += reads * depth
    result.chain.zeroFilledSectors += scaled(sample.zeroFilled)
  }

  private mutating func growLevels(to depth: Int) {
    if result.chain.levels.count < depth {
      result.chain.levels.append(
        contentsOf: repeatElement(LevelTotals(), count: depth - result.chain.levels.count))
    }
  }
}

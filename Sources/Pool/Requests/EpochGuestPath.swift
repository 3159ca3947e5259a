// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD
import Workloads

/// Guest I/O at epoch resolution (docs/simulation.md#epoch-resolution): before the pool handles any
/// event other than an epoch tick, every epoch VM's I/O up to that instant is applied, so a pause,
/// snapshot, GC step, reopen or sample sees exactly the writes made before it. A VM whose tapdisk is
/// not running keeps its interval open (its requests would be held) and applies it, to whatever
/// chain the tapdisk then has, at the first event after it runs again.
///
/// An interval is applied in two halves: the first half's writes, then the interval's reads
/// evaluated through the chain (their lookups, at the midpoint state), then the second half's writes.
extension PoolModel {
  /// Applies every running epoch VM's guest I/O up to `now`.
  mutating func catchUpEpochs(to now: SimTime) throws {
    for g in epochGuests.indices where epochGuests[g].appliedUntil < now {
      guard tapdisks[epochGuests[g].vdi].state == .running else { continue }
      let seconds = (now - epochGuests[g].appliedUntil).seconds
      let half = epochGuests[g].ratePerSecond * seconds / 2
      let fraction = epochGuests[g].readFraction
      let random = epochGuests[g].random
      let first = epochGuests[g].sampler.sample(
        expectedRequests: half, readFraction: fraction, random: random)
      try applyWrites(g)
      let second = epochGuests[g].sampler.sample(
        expectedRequests: half, readFraction: fraction, random: random)
      try evaluateReads(g, count: first.reads + second.reads)
      try applyWrites(g)
      epochGuests[g].appliedUntil = now
    }
  }

  /// Applies the sampler's current write set to the VM's leaf, one `markWritten` per touched block in
  /// first-touch order, and records the writes.
  private mutating func applyWrites(_ g: Int) throws {
    let vdi = epochGuests[g].vdi
    let set = epochGuests[g].sampler.writes
    guard set.writes > 0 else { return }
    let chain = tapdisks[vdi].chain
    var accounting = engine.accounting
    var leaf = LevelWork()
    var allocated = 0
    for i in set.blocks.indices {
      engine.tap.begin(levels: tapdisks[vdi].levelVolumes)
      try set.withMask(i) { try chain.markWritten(block: set.blocks[i], mask: $0, accounting: &accounting) }
      if let f = engine.tap.state.pointee.failure { throw f }
      // The engine probed and consulted once; a request-level run does so for every segment: the
      // later ones find the bitmap cached, or the block full in the BATmap.
      var work = accounting.levels[0]
      let extra = set.segments(i) - 1
      work.batProbes += extra
      if work.batmapShortcuts > 0 { work.batmapShortcuts += extra } else { work.bitmapCacheHits += extra }
      leaf += work
      allocated += accounting.blocksAllocated
      if tapdisks[vdi].mirror != nil {
        tapdisks[vdi].mirror!.mark(
          sector: UInt64(set.blocks[i]) * UInt64(EpochWriteSet.sectorsPerBlock), sectors: 1)
      }
    }
    engine.accounting = accounting
    leaf.sectorsServed = set.writtenSectors
    metrics.recordEpochWrites(
      set.writes, bytes: UInt64(set.writtenSectors) * 512, leaf: leaf, blocksAllocated: allocated,
      depth: chain.depth)
  }

  /// Evaluates `count` reads' lookups: at most `EpochGuest.readSampleLimit` drawn reads through the
  /// real read path (the metadata-only device returns no data), scaled to `count`.
  private mutating func evaluateReads(_ g: Int, count: Int) throws {
    guard count > 0 else { return }
    let vdi = epochGuests[g].vdi
    let chain = tapdisks[vdi].chain
    let sampled = Swift.min(count, EpochGuest.readSampleLimit)
    var sample = EpochReadSample(depth: chain.depth)
    var accounting = engine.accounting
    for _ in 0..<sampled {
      let read = epochGuests[g].sampler.sampleRead(epochGuests[g].random)
      let buffer = engine.buffer(bytes: read.sectors * 512)
      engine.tap.begin(levels: tapdisks[vdi].levelVolumes)
      try chain.read(sector: read.sector, count: read.sectors, into: buffer.pointer, accounting: &accounting)
      if let f = engine.tap.state.pointee.failure { throw f }
      sample.add(accounting, sectors: read.sectors)
    }
    engine.accounting = accounting
    metrics.recordEpochReads(count, sample: sample, sampled: sampled)
  }
}

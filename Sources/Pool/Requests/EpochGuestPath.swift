// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD
import Workloads

/// Guest I/O at epoch resolution (docs/simulation.md#epoch-resolution). A VM's guest I/O is applied
/// lazily, when something is about to observe the VM's leaf: before its tapdisk pauses (a snapshot, a
/// GC refresh or leaf-coalesce pause sees exactly the writes made before it), before each event of a
/// GC worker coalescing that leaf (its copy reads the leaf), at every state sample and at every epoch
/// tick, which therefore bounds how stale any other view of a leaf can be (the GC's scans and space
/// checks see each leaf as of its VM's last interval). Events that cannot observe a leaf, above all
/// the GC's copy I/O on other chains, apply nothing, so a VM's interval count does not grow with the
/// number of VMs on its SR. A VM whose tapdisk is not running keeps its interval open (its requests
/// would be held) and applies it, to whatever chain the tapdisk then has, once it runs again.
///
/// An interval is applied in two halves: the first half's writes, then the interval's reads
/// evaluated through the chain (their lookups, at the midpoint state), then the second half's writes.
extension PoolModel {
  /// Applies the guest I/O up to `now` of the VMs whose leaf `event`'s handler can observe (every
  /// VM for a nil event: the end of the run).
  mutating func catchUpEpochs(before event: PoolEvent?, at now: SimTime) throws {
    // nil: every VM; a tapdisk: its VM only; an event that observes no leaf returns.
    let only: Int?
    switch event {
    case nil, .epochTick?, .sample?, .threadStep?: only = nil
    case .pause(let vdi)?, .unpause(let vdi, _)?, .srSnapshotPaused(_, let vdi)?: only = Int(vdi)
    case .gcTimer(let worker)?:
      guard let vdi = host.daemon.leafTapdisk(ofWorker: Int(worker)) else { return }
      only = vdi
    case .arrive(let s)?, .engineDone(let s)?, .diskDone(let s)?, .diskIODone(let s)?, .done(let s)?:
      switch requests[s].kind {
      case .gc:
        guard let vdi = host.daemon.leafTapdisk(ofWorker: Int(requests[s].vm)) else { return }
        only = vdi
      case .reopen: only = Int(requests[s].vdi)
      case .guest: only = nil
      }
    case .srOperation?, .backup?, .autoScan?, .gcKick?, .gcQuietPeriodEnded?, .diskRound?: return
    }
    let guests: Range<Int>
    if let only {
      guard let g = epochGuestOfTapdisk[only] else { return }
      guests = g..<g + 1
    } else {
      guests = epochGuests.indices
    }
    for g in guests where epochGuests[g].appliedUntil < now {
      guard tapdisks[epochGuests[g].vdi].state == .running else { continue }
      let seconds = (now - epochGuests[g].appliedUntil).seconds
      let half = epochGuests[g].ratePerSecond * seconds / 2
      let fraction = epochGuests[g].readFraction
      let random = epochGuests[g].random
      // Drawn into the pool's one scratch write set, swapped into the VM's sampler meanwhile.
      if epochScratch.diskBlocks != epochGuests[g].sampler.writes.diskBlocks {
        epochScratch = EpochWriteSet(diskSectors: epochGuests[g].sampler.diskSectors)
      }
      swap(&epochScratch, &epochGuests[g].sampler.writes)
      defer { swap(&epochScratch, &epochGuests[g].sampler.writes) }
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

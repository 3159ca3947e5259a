// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// A yum/dnf-style package install as guest block requests: download to the cache, the package's
/// directories, each payload file written under a temporary name and renamed (with the spec's fsync
/// policy), the package-database transaction, post-install rewrites — on an ``Ext4LayoutModel`` file
/// system with a jbd2-like journal in `data=ordered` mode.
///
/// Journal model. Metadata changes (inodes, bitmaps, descriptors, directory blocks) join the running
/// transaction as whole blocks. A commit writes a descriptor block plus those blocks sequentially in
/// the journal (`sync`, `metadata`) and then a commit block with `preflush` + `fua` (how jbd2 commits
/// with barriers on). A transaction commits when an fsync needs it (the fsynced inode is dirty in it),
/// when it is `commit=` old (the interval runs from its first change, as jbd2's timer does; checked
/// whenever the generator is asked, so simulated time comes from `now`), when it reaches a quarter of
/// the journal (jbd2's limit), and once more after the last step. An fsync of an inode already
/// committed only flushes the disk cache (ext4 then issues a bare flush). Metadata reaches its home
/// blocks at checkpoints: when the journal would wrap and after the final commit, coalesced into runs
/// and followed by a journal-superblock write (`preflush` + `fua`).
///
/// Closed loop at depth 1: the install is one thread whose writes reach the disk in issue order, which
/// keeps `data=ordered` (data before the commit that names it) without tracking completions; so a
/// file's ``InstalledFile/durableAt`` commit follows every write of its data.
public struct PackageInstallGenerator: RequestGenerator {
  public let spec: PackageInstallSpec
  public let layout: Ext4LayoutModel
  /// Every file the install leaves (payload, then post-install), with extents known from the start and
  /// durability points filled in as their commits are emitted.
  public private(set) var files: [InstalledFile]
  public private(set) var counters = PackageInstallCounters()
  /// Stop after this many requests (nil: the whole install).
  public let requestLimit: Int?

  private let steps: [InstallStep]
  private let touched: [Int32]
  private let metadataBlocks: [Int]
  private let maximumRequestSectors: Int
  private var stepIndex = 0
  private var pending = RingBuffer<GuestRequest>(capacity: 64)
  private var nextSequence = 0
  private var clock = SimTime.zero
  private var journal: JournalState
  private var finished = false

  public init(
    _ spec: PackageInstallSpec, diskSectors: UInt64, streams: WorkloadStreams, requestLimit: Int? = nil
  ) throws(WorkloadError) {
    let plan = try PackageInstallPlan(spec: spec, diskSectors: diskSectors, streams: streams)
    self.spec = spec
    layout = plan.layout
    files = plan.files
    self.requestLimit = requestLimit
    steps = plan.steps
    touched = plan.touched
    metadataBlocks = plan.metadataBlocks
    maximumRequestSectors = plan.maximumRequestSectors
    journal = JournalState(
      maximumTransactionBlocks: plan.layout.journal.count / 4,
      inTransaction: Array(repeating: -1, count: plan.metadataBlocks.count),
      inodeTransaction: Array(repeating: -1, count: plan.inodeKeys),
      needsCheckpoint: Array(repeating: false, count: plan.metadataBlocks.count))
    journal.transactionBlocks.reserveCapacity(plan.metadataBlocks.count)
    journal.uncheckpointed.reserveCapacity(plan.metadataBlocks.count)
    journal.pendingRenames.reserveCapacity(plan.files.count)
  }

  /// A named preset on a disk of `diskSectors` sectors, its streams named after the spec.
  public init(
    _ spec: PackageInstallSpec, diskSectors: UInt64, seed: UInt64, requestLimit: Int? = nil
  ) throws(WorkloadError) {
    try self.init(
      spec, diskSectors: diskSectors, streams: WorkloadStreams(seed: seed, name: "install/" + spec.name),
      requestLimit: requestLimit)
  }

  public var loop: LoopKind { .closed(ioDepth: 1) }

  public mutating func next(now: SimTime) -> GuestRequest? {
    if let requestLimit, counters.requests >= requestLimit { return nil }
    if now > clock { clock = now }
    while pending.isEmpty {
      if let start = journal.transactionStart, clock >= start + spec.journalCommitInterval {
        commit()
        counters.timerCommits += 1
      } else if stepIndex < steps.count {
        perform(steps[stepIndex])
        stepIndex += 1
      } else if finished {
        return nil
      } else {
        if let start = journal.transactionStart {
          let expiry = start + spec.journalCommitInterval
          if expiry > clock { clock = expiry }
          commit()
          counters.timerCommits += 1
        }
        checkpoint()
        finished = true
      }
    }
    var request = pending.popFirst()!
    clock += request.time
    request.time = clock
    counters.requests += 1
    if request.operation == .write { counters.bytesWritten += request.bytes }
    return request
  }

  /// Queues a request; `think` goes in `time` until it is emitted.
  @discardableResult
  private mutating func enqueue(
    _ operation: GuestRequest.Operation, lba: UInt64, sectors: Int, flags: GuestRequest.Flags,
    think: Int64 = 0
  ) -> Int {
    let sequence = nextSequence
    nextSequence += 1
    pending.append(
      GuestRequest(
        time: SimTime(nanoseconds: think), sequence: sequence, operation: operation, lba: lba,
        sectors: sectors,
        flags: flags))
    return sequence
  }

  /// Queues writes of `blocks` blocks from `block`, split at the maximum request size.
  private mutating func enqueueWrites(block: Int, blocks: Int, flags: GuestRequest.Flags) {
    var lba = Ext4LayoutModel.lba(block: block)
    var left = blocks * Ext4LayoutModel.sectorsPerBlock
    while left > 0 {
      let sectors = min(left, maximumRequestSectors)
      enqueue(.write, lba: lba, sectors: sectors, flags: flags)
      lba += UInt64(sectors)
      left -= sectors
    }
  }

  private mutating func perform(_ step: InstallStep) {
    switch step {
    case .write(let lba, let sectors, let flags, let think):
      enqueue(.write, lba: lba, sectors: sectors, flags: flags, think: think)
    case .touch(let start, let count, let inode):
      if journal.transactionStart == nil { journal.transactionStart = clock }
      for i in Int(start)..<Int(start + count) {
        let m = Int(touched[i])
        if journal.inTransaction[m] != journal.transaction {
          journal.inTransaction[m] = journal.transaction
          journal.transactionBlocks.append(Int32(m))
        }
      }
      if inode >= 0 { journal.inodeTransaction[Int(inode)] = journal.transaction }
      if journal.transactionBlocks.count >= journal.maximumTransactionBlocks {
        commit()
        counters.forcedCommits += 1
      }
    case .create:
      counters.files += 1
    case .fsync(let inode):
      counters.fsyncs += 1
      if journal.inodeTransaction[Int(inode)] == journal.transaction, journal.transactionStart != nil {
        commit()
        counters.fsyncCommits += 1
      } else {
        enqueue(.flush, lba: 0, sectors: 0, flags: [.sync])
        counters.bareFlushes += 1
      }
    case .rename(let file):
      counters.renames += 1
      journal.pendingRenames.append(file)
    }
  }

  /// Commits the running transaction: descriptor + its blocks, then the commit block.
  private mutating func commit() {
    let payload = 1 + journal.transactionBlocks.count
    if journal.journalHead + payload + 1 > layout.journal.count {
      checkpoint()
      journal.journalHead = 1
    }
    enqueueWrites(
      block: layout.journal.lowerBound + journal.journalHead, blocks: payload, flags: [.sync, .metadata])
    let commitBlock = enqueue(
      .write, lba: Ext4LayoutModel.lba(block: layout.journal.lowerBound + journal.journalHead + payload),
      sectors: Ext4LayoutModel.sectorsPerBlock, flags: [.preflush, .fua, .sync, .metadata])
    journal.journalHead += payload + 1
    for f in journal.pendingRenames { files[Int(f)].durableAt = commitBlock }
    journal.pendingRenames.removeAll(keepingCapacity: true)
    for m in journal.transactionBlocks where !journal.needsCheckpoint[Int(m)] {
      journal.needsCheckpoint[Int(m)] = true
      journal.uncheckpointed.append(m)
    }
    journal.transactionBlocks.removeAll(keepingCapacity: true)
    journal.transaction += 1
    journal.transactionStart = nil
    counters.journalCommits += 1
  }

  /// Writes committed metadata to its home blocks (coalesced runs), then the journal superblock.
  private mutating func checkpoint() {
    guard !journal.uncheckpointed.isEmpty else { return }
    let blocks = metadataBlocks
    journal.uncheckpointed.sort { blocks[Int($0)] < blocks[Int($1)] }
    var runStart = blocks[Int(journal.uncheckpointed[0])]
    var runEnd = runStart + 1
    for m in journal.uncheckpointed.dropFirst() {
      let b = blocks[Int(m)]
      if b == runEnd {
        runEnd += 1
      } else {
        checkpointRun(runStart, runEnd)
        runStart = b
        runEnd = b + 1
      }
    }
    checkpointRun(runStart, runEnd)
    for m in journal.uncheckpointed { journal.needsCheckpoint[Int(m)] = false }
    journal.uncheckpointed.removeAll(keepingCapacity: true)
    enqueue(
      .write, lba: Ext4LayoutModel.lba(block: layout.journal.lowerBound),
      sectors: Ext4LayoutModel.sectorsPerBlock,
      flags: [.preflush, .fua, .sync, .metadata])
    counters.checkpoints += 1
  }

  private mutating func checkpointRun(_ start: Int, _ end: Int) {
    let before = pending.count
    enqueueWrites(block: start, blocks: end - start, flags: [.metadata])
    counters.checkpointWrites += pending.count - before
  }
}

/// The journal's side of the install: the running transaction (its number, when it started, its
/// metadata blocks, which transaction last dirtied each block and inode, the files whose rename it
/// commits), the blocks waiting for a checkpoint, and where the next journal write goes.
private struct JournalState {
  /// A transaction commits once it holds this many blocks (a quarter of the journal).
  let maximumTransactionBlocks: Int
  var transaction = 0
  var transactionStart: SimTime?
  var transactionBlocks: [Int32] = []
  var inTransaction: [Int]
  var inodeTransaction: [Int]
  var pendingRenames: [Int32] = []
  var uncheckpointed: [Int32] = []
  var needsCheckpoint: [Bool]
  /// Next free block of the journal, relative to its start (block 0 is the journal superblock).
  var journalHead = 1
}

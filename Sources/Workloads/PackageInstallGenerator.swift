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
  private let maximumTransactionBlocks: Int
  private var stepIndex = 0
  private var pending: [GuestRequest] = []
  private var pendingHead = 0
  private var nextSequence = 0
  private var clock = SimTime.zero
  private var transaction = 0
  private var transactionStart: SimTime?
  private var transactionBlocks: [Int32] = []
  private var inTransaction: [Int]
  private var inodeTransaction: [Int]
  private var pendingRenames: [Int32] = []
  private var uncheckpointed: [Int32] = []
  private var needsCheckpoint: [Bool]
  /// Next free block of the journal, relative to its start (block 0 is the journal superblock).
  private var journalHead = 1
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
    maximumTransactionBlocks = plan.layout.journal.count / 4
    inTransaction = Array(repeating: -1, count: plan.metadataBlocks.count)
    needsCheckpoint = Array(repeating: false, count: plan.metadataBlocks.count)
    inodeTransaction = Array(repeating: -1, count: plan.inodeKeys)
    transactionBlocks.reserveCapacity(plan.metadataBlocks.count)
    uncheckpointed.reserveCapacity(plan.metadataBlocks.count)
    pendingRenames.reserveCapacity(plan.files.count)
    pending.reserveCapacity(64)
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
    while pendingHead == pending.count {
      pending.removeAll(keepingCapacity: true)
      pendingHead = 0
      if let start = transactionStart, clock >= start + spec.journalCommitInterval {
        commit()
        counters.timerCommits += 1
      } else if stepIndex < steps.count {
        perform(steps[stepIndex])
        stepIndex += 1
      } else if finished {
        return nil
      } else {
        if let start = transactionStart {
          let expiry = start + spec.journalCommitInterval
          if expiry > clock { clock = expiry }
          commit()
          counters.timerCommits += 1
        }
        checkpoint()
        finished = true
      }
    }
    var request = pending[pendingHead]
    pendingHead += 1
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
      if transactionStart == nil { transactionStart = clock }
      for i in Int(start)..<Int(start + count) {
        let m = Int(touched[i])
        if inTransaction[m] != transaction {
          inTransaction[m] = transaction
          transactionBlocks.append(Int32(m))
        }
      }
      if inode >= 0 { inodeTransaction[Int(inode)] = transaction }
      if transactionBlocks.count >= maximumTransactionBlocks {
        commit()
        counters.forcedCommits += 1
      }
    case .create:
      counters.files += 1
    case .fsync(let inode):
      counters.fsyncs += 1
      if inodeTransaction[Int(inode)] == transaction, transactionStart != nil {
        commit()
        counters.fsyncCommits += 1
      } else {
        enqueue(.flush, lba: 0, sectors: 0, flags: [.sync])
        counters.bareFlushes += 1
      }
    case .rename(let file):
      counters.renames += 1
      pendingRenames.append(file)
    }
  }

  /// Commits the running transaction: descriptor + its blocks, then the commit block.
  private mutating func commit() {
    let payload = 1 + transactionBlocks.count
    if journalHead + payload + 1 > layout.journal.count {
      checkpoint()
      journalHead = 1
    }
    enqueueWrites(block: layout.journal.lowerBound + journalHead, blocks: payload, flags: [.sync, .metadata])
    let commitBlock = enqueue(
      .write, lba: Ext4LayoutModel.lba(block: layout.journal.lowerBound + journalHead + payload),
      sectors: Ext4LayoutModel.sectorsPerBlock, flags: [.preflush, .fua, .sync, .metadata])
    journalHead += payload + 1
    for f in pendingRenames { files[Int(f)].durableAt = commitBlock }
    pendingRenames.removeAll(keepingCapacity: true)
    for m in transactionBlocks where !needsCheckpoint[Int(m)] {
      needsCheckpoint[Int(m)] = true
      uncheckpointed.append(m)
    }
    transactionBlocks.removeAll(keepingCapacity: true)
    transaction += 1
    transactionStart = nil
    counters.journalCommits += 1
  }

  /// Writes committed metadata to its home blocks (coalesced runs), then the journal superblock.
  private mutating func checkpoint() {
    guard !uncheckpointed.isEmpty else { return }
    let blocks = metadataBlocks
    uncheckpointed.sort { blocks[Int($0)] < blocks[Int($1)] }
    var runStart = blocks[Int(uncheckpointed[0])]
    var runEnd = runStart + 1
    for m in uncheckpointed.dropFirst() {
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
    for m in uncheckpointed { needsCheckpoint[Int(m)] = false }
    uncheckpointed.removeAll(keepingCapacity: true)
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

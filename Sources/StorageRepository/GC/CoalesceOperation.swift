// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// Non-leaf coalesce of the hidden node C into its parent P (`SR._coalesce`,
/// docs/storage-manager.md#non-leaf-coalesce), as a step machine: each `step` does one bounded
/// piece of work and says which files it touched, so a host can interleave it with guest I/O and
/// time it. The SR has no clock and no tapdisks: before the `.refreshing` step the host refreshes
/// `leavesToRefresh` itself.
///
/// Crash semantics follow the storage manager: a copy killed half-way leaves P with harmless
/// extra data (C still masks it) and a `coalesce` marker the next GC loop drops; once the copy
/// is done the `relink` journal makes the next GC resume at the relink, skipping the copy.
public final class CoalesceOperation {
  public enum Phase: Equatable, Sendable { case start, copying, relinking, refreshing, done }

  public let sr: SR
  /// C, the hidden node folded into its parent.
  public let child: String
  /// P, which receives C's data and adopts C's children.
  public let parent: String
  public let observer: (any IOObserver)?
  public private(set) var phase: Phase
  public private(set) var bytesCopied: UInt64 = 0
  /// The child's physical size at the scan that started the operation: XCP-ng 8.2's speed sample
  /// bytes (docs/storage-manager.md#xcp-ng-82-live-test).
  public let childPhysicalSize: UInt64
  /// C's virtual size: P grows to it first when smaller (docs/storage-manager.md#parent-growth).
  public let childVirtualSize: UInt64
  /// Set by the `.start` step when P grew (its old and new virtual size). The host must refresh
  /// the tapdisks of P's subtree then, as sm pauses and unpauses them around the resize.
  public private(set) var parentGrowth: (from: UInt64, to: UInt64)?
  /// Set by `abandon()`: the images are closed and no further step is possible.
  public private(set) var isAbandoned = false
  private var job: CoalesceJob?

  /// Checks in a fresh scan that `child` is coalesceable (docs/storage-manager.md#predicates), or
  /// that it has a `relink` journal, in which case the copy is known to be done and the operation
  /// resumes at `.relinking`.
  public init(sr: SR, child: String, observer: (any IOObserver)? = nil) throws(SRError) {
    let tree = try sr.scanTree()
    guard let node = tree.node(child), let parent = node.parent, tree.node(parent) != nil else {
      throw .notCoalesceable(child)
    }
    self.sr = sr
    self.child = child
    self.parent = parent
    self.childPhysicalSize = node.physicalSize
    self.childVirtualSize = node.virtualSize
    self.observer = observer
    if try sr.journals.value(.relink, key: child) != nil {
      phase = .relinking
    } else {
      guard tree.isCoalesceable(child) else { throw .notCoalesceable(child) }
      phase = .start
    }
  }

  public var childPath: String { sr.path(of: child) }
  public var parentPath: String { sr.path(of: parent) }

  /// One bounded piece of the coalesce (see the phase list in the contract,
  /// docs/storage-manager.md#non-leaf-coalesce steps 2–6).
  @discardableResult
  public func step(maxCopyBytes: Int) throws(SRError) -> GCStepWork {
    guard !isAbandoned else { throw .wrongPhase(operation: "coalesce \(child)", phase: "abandoned") }
    switch phase {
    case .start: return try start()
    case .copying: return try copy(maxCopyBytes)
    case .relinking: return try relink()
    case .refreshing: return try finish()
    case .done: throw .wrongPhase(operation: "coalesce \(child)", phase: "done")
    }
  }

  /// Attached leaves in P's subtree, in scan order: the tapdisks the host must refresh (pause and
  /// reopen) before the `.refreshing` step, since their chains no longer go through C.
  public var leavesToRefresh: [String] {
    guard let tree = try? sr.scanTree() else { return [] }
    var out: [String] = []
    var stack = [parent]
    while let uuid = stack.popLast() {
      let kids = tree.children(of: uuid)
      if kids.isEmpty {
        if uuid != parent, sr.isAttached(uuid) { out.append(uuid) }
      } else {
        stack.append(contentsOf: kids.reversed())
      }
    }
    return out
  }

  /// GC abort or kill during the copy: closes the images and deflates P again (SM's `finally`).
  /// P keeps the partial data, which C masks; the `coalesce` marker stays for the next GC loop.
  public func abandon() {
    let hadJob = job != nil
    closeImages()
    if hadJob { _ = try? sr.recovery.repairFooter(parentPath) }
    try? sr.lvm.deflate(parent)
    isAbandoned = true
  }

  // MARK: phases

  private func start() throws(SRError) -> GCStepWork {
    try sr.journals.add(.coalesce, key: child, value: "1")
    if case .lvm = sr.kind {
      let extra = try sr.space.coalesceExtraSpace(child: child, in: try sr.scanTree())
      if extra > 0 { try sr.lvm.inflate(parent, to: (sr.lvSizes[parent] ?? 0) + extra) }
    }
    let (childPath, parentPath) = (self.childPath, self.parentPath)
    parentGrowth = try sr.growParent(parent, to: childVirtualSize, observer: observer)
    job = try SRError.engine(childPath) { () throws -> CoalesceJob in
      let c = try VHDImage.open(childPath, storage: sr.storage, writable: false, options: sr.engineOptions)
      let p = try VHDImage.open(parentPath, storage: sr.storage, writable: true, options: sr.engineOptions)
      guard let expected = c.header?.parentUniqueID, expected == p.footer.uniqueID else {
        throw VHDError(
          .parentUUIDMismatch, file: childPath, field: "header.parent_unique_id",
          "parent \(parentPath) has UUID \(p.footer.uniqueID)")
      }
      c.level = 0
      p.level = 1
      c.observer = observer
      p.observer = observer
      return try CoalesceJob(child: c, parent: p)
    }
    phase = .copying
    return GCStepWork(levelPaths: [childPath, parentPath])
  }

  private func copy(_ maxCopyBytes: Int) throws(SRError) -> GCStepWork {
    guard let job else { throw .wrongPhase(operation: "coalesce \(child)", phase: "copying without a job") }
    let copied: Int
    do {
      copied = try SRError.engine(childPath) { try job.step(maxBytes: max(1, maxCopyBytes)) }
    } catch {
      // SM: the failed copy leaves P as it is (masked by C) and deflates it in `finally`.
      abandon()
      throw error
    }
    bytesCopied += UInt64(copied)
    let work = GCStepWork(levelPaths: [childPath, parentPath], bytesCopied: UInt64(copied))
    guard job.isFinished else { return work }
    try SRError.engine(parentPath) { try job.parent.close() }
    self.job = nil
    try sr.lvm.deflate(parent)
    try sr.journals.remove(.coalesce, key: child)
    try sr.journals.add(.relink, key: child, value: parent)
    phase = .relinking
    return work
  }

  /// `vhd-util modify -p` on every child of C in a fresh scan (and on any child of P a cut relink
  /// left half-reparented); child i reports at level i, P at the level after the last child.
  private func relink() throws(SRError) -> GCStepWork {
    let kids = try sr.recovery.relinkTargets(child: child, parent: parent)
    let paths = kids.map { sr.path(of: $0) }
    var levels: [String: Int] = [:]
    for (i, p) in paths.enumerated() { levels[p] = i }
    levels[parentPath] = paths.count
    let storage: any Storage =
      observer.map { ObservedStorage(sr.storage, observer: $0, levels: levels) } ?? sr.storage
    for path in paths {
      try SRError.engine(path) {
        try VHDReparent.reparent(path, newParent: parentPath, storage: storage, options: sr.engineOptions)
      }
    }
    phase = .refreshing
    return GCStepWork(levelPaths: paths + [parentPath])
  }

  /// Drops the relink journal and deletes C (file, LV and record). A child that appeared under C
  /// meanwhile is relinked first, so nothing ever loses its parent.
  private func finish() throws(SRError) -> GCStepWork {
    var work = GCStepWork()
    if !(try sr.recovery.relinkTargets(child: child, parent: parent).isEmpty) { work = try relink() }
    try sr.journals.remove(.relink, key: child)
    try sr.removeNode(child, path: childPath)
    phase = .done
    return work
  }

  private func closeImages() {
    if let job { try? job.parent.close() }
    job = nil
  }
}

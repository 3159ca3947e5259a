// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// The storage manager's GC work loop (`_gcLoop`, docs/storage-manager.md#gc-loop) run
/// synchronously, with no notion of time: each iteration drops the `coalesce` markers, deletes all
/// garbage, then does one non-leaf coalesce (a relinking one first, then the policy's order, first
/// that fits in free space), or else one live leaf coalesce when leaf-coalesce is on. A target
/// whose coalesce failed is skipped for the rest of this collector's life
/// (`_failedCoalesceTargets`). Tests and fault sweeps use it; a timed host drives
/// `CoalesceOperation` and `LeafCoalesceOperation` itself.
public final class GarbageCollector {
  /// What a run did.
  public struct Counts: Equatable, Sendable {
    public var garbageDeleted = 0
    public var coalesces = 0
    public var leafCoalesces = 0
    public var bytesCopied: UInt64 = 0
    /// Iterations of the work loop that found work.
    public var iterations = 0

    public init(
      garbageDeleted: Int = 0, coalesces: Int = 0, leafCoalesces: Int = 0, bytesCopied: UInt64 = 0,
      iterations: Int = 0
    ) {
      self.garbageDeleted = garbageDeleted
      self.coalesces = coalesces
      self.leafCoalesces = leafCoalesces
      self.bytesCopied = bytesCopied
      self.iterations = iterations
    }
  }

  public let sr: SR
  public var policy: GCPolicy
  /// Copy budget of one step of the step machines.
  public var maxCopyBytes: Int
  /// Leaves skipped for their VDI settings (on-boot=reset, allow_caching, `leaf-coalesce=false`).
  public var leafExcluded: Set<String>
  public let observer: (any IOObserver)?
  /// `_failedCoalesceTargets` of this GC process.
  public private(set) var failed: Set<String> = []
  /// Totals so far.
  public private(set) var counts = Counts()
  /// Candidates the last iteration passed over for lack of free space (what `SM_GC_NO_SPACE`
  /// reports when the process exits).
  public private(set) var lackingSpace: [String] = []

  public init(
    sr: SR, policy: GCPolicy = .xcp, maxCopyBytes: Int = 16 << 20, leafExcluded: Set<String> = [],
    observer: (any IOObserver)? = nil
  ) {
    self.sr = sr
    self.policy = policy
    self.maxCopyBytes = maxCopyBytes
    self.leafExcluded = leafExcluded
    self.observer = observer
  }

  /// One iteration of the work loop. Returns false when it found nothing to do.
  @discardableResult
  public func step() throws(SRError) -> Bool {
    try sr.journals.dropCoalesceMarkers()
    var didWork = false
    lackingSpace = []
    var plan = try sr.plan(policy: policy, failed: failed, leafExcluded: leafExcluded)
    if !plan.garbage.isEmpty {
      try sr.collectGarbage(plan.garbage)
      counts.garbageDeleted += plan.garbage.count
      didWork = true
    }
    if !(try sr.recovery.dropStaleJournals()).isEmpty || didWork {
      plan = try sr.plan(policy: policy, failed: failed, leafExcluded: leafExcluded)
    }
    if let child = try nonLeafCandidate(plan) {
      try coalesce(child)
      didWork = true
    } else if let leaf = try leafCandidate(plan) {
      try leafCoalesce(leaf)
      didWork = true
    }
    if didWork { counts.iterations += 1 }
    return didWork
  }

  /// Runs the loop until an iteration finds no work; returns the totals of this run.
  @discardableResult
  public func runToCompletion() throws(SRError) -> Counts {
    let before = counts
    while try step() {}
    return Counts(
      garbageDeleted: counts.garbageDeleted - before.garbageDeleted,
      coalesces: counts.coalesces - before.coalesces,
      leafCoalesces: counts.leafCoalesces - before.leafCoalesces,
      bytesCopied: counts.bytesCopied - before.bytesCopied,
      iterations: counts.iterations - before.iterations)
  }

  /// docs/storage-manager.md#candidate-order: a node with a relink journal first (no space check),
  /// else the first candidate in the policy's order whose extra space fits.
  func nonLeafCandidate(_ plan: GCPlan) throws(SRError) -> String? {
    guard policy.coalesce else { return nil }
    let tree = try sr.scanTree()
    for key in try sr.journals.entries(.relink).keys.sorted()
    where !failed.contains(key) && tree.node(key) != nil {
      return key
    }
    let free = try sr.space.freeSpace()
    for c in plan.coalesceable {
      if try sr.space.coalesceExtraSpace(child: c, in: tree) <= free { return c }
      lackingSpace.append(c)
    }
    return nil
  }

  /// docs/storage-manager.md#candidate-order: the first leaf candidate, in scan order, whose
  /// live-leaf extra space fits.
  func leafCandidate(_ plan: GCPlan) throws(SRError) -> String? {
    guard policy.coalesce, policy.leafCoalesce else { return nil }
    let tree = try sr.scanTree()
    let free = try sr.space.freeSpace()
    for l in plan.leafCoalesceable {
      if try sr.space.leafCoalesceExtraSpace(leaf: l, in: tree) <= free { return l }
      lackingSpace.append(l)
    }
    return nil
  }

  private func coalesce(_ child: String) throws(SRError) {
    let op: CoalesceOperation
    do { op = try CoalesceOperation(sr: sr, child: child, observer: observer) } catch {
      failed.insert(child)
      return
    }
    do {
      while op.phase != .done {
        let work = try op.step(maxCopyBytes: maxCopyBytes)
        counts.bytesCopied += work.bytesCopied
      }
      counts.coalesces += 1
    } catch {
      op.abandon()
      failed.insert(child)
    }
  }

  private func leafCoalesce(_ leaf: String) throws(SRError) {
    let op: LeafCoalesceOperation
    do { op = try LeafCoalesceOperation(sr: sr, leaf: leaf, observer: observer) } catch {
      failed.insert(leaf)
      return
    }
    do {
      while op.phase != .done {
        let work = try op.step(maxCopyBytes: maxCopyBytes)
        counts.bytesCopied += work.bytesCopied
      }
      counts.leafCoalesces += 1
    } catch {
      failed.insert(leaf)
      try op.undo()
    }
  }
}

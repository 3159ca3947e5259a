// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository

/// What a leaf-coalesce design does next with a leaf, at the head of the leaf job's loop.
enum LeafCoalesceMove: Equatable {
  /// Nothing: leaf coalesce is off.
  case abandon
  /// The design does not coalesce this leaf now (e.g. the live test fails).
  case refuse
  /// Pause the leaf's tapdisk and copy it into its parent; past `timeoutSeconds` the copy is killed
  /// and undone (nil: no limit).
  case pausedCopy(timeoutSeconds: Double?)
  /// Suspend the VM (the guest stalls for `suspend`), copy with no limit, resume (another `resume`).
  case suspendedCopy(suspend: SimTime, resume: SimTime)
  /// One snapshot-coalesce round: internal snapshot, then a timed coalesce with the guest running.
  case snapshotRound
  /// Copy with the guest running, tracking dirtied blocks; pause only for the last delta.
  case mirror
}

/// A leaf-coalesce design: the decisions that tell one design from another. The mechanics they share
/// (the paused copy, swap and undo, the internal snapshot, the mirror's passes) are the worker's
/// (`GCWorker+Leaf.swift`). Each design names the storage-manager function it follows, or says it is
/// hypothetical (docs/storage-manager.md#leaf-coalesce).
protocol LeafCoalesceStrategy {
  /// The decision at the head of the loop, for `leaf` with the SR's speed estimate (bytes/s).
  mutating func nextMove(for leaf: VHDNode, speed: Double?) -> LeafCoalesceMove

  /// A snapshot-coalesce round ended with the leaf at `sizeAfter` (it was `sizeBefore`): the reason
  /// to give up and the tracker's log lines, or nil to go round again.
  mutating func roundEnded(sizeBefore: UInt64, sizeAfter: UInt64) -> (reason: String, log: [String])?

  /// Mirror: whether to pause for the last pass after `pass` copy passes with `dirtyBytes` dirtied.
  func pausesForLastPass(afterPass pass: Int, dirtyBytes: UInt64) -> Bool
}

extension LeafCoalesceStrategy {
  mutating func roundEnded(sizeBefore: UInt64, sizeAfter: UInt64) -> (reason: String, log: [String])? { nil }
  func pausesForLastPass(afterPass pass: Int, dirtyBytes: UInt64) -> Bool { true }
}

extension LeafCoalesceDesign {
  /// A fresh instance of this design's decisions for one leaf job.
  func makeStrategy() -> any LeafCoalesceStrategy {
    switch self {
    case .none: NoLeafCoalesce()
    case .sm(let policy, let variant):
      SMLeafCoalesce(policy: policy, tracker: CoalesceTracker(variant: variant))
    case .force: LiveLeafCoalesce(policy: LiveCoalescePolicy(force: true))
    case .liveOnly(let policy): LiveLeafCoalesce(policy: policy)
    case .offline(let parameters): OfflineLeafCoalesce(parameters: parameters)
    case .mirror(let parameters): MirrorLeafCoalesce(parameters: parameters)
    }
  }
}

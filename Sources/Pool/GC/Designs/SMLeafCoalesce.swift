// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository

/// sm's `_coalesceLeaf`: while the live test fails, snapshot-coalesce rounds (internal snapshot, then
/// a coalesce of the new hidden parent with the guest running), watched by the coalesce tracker, which
/// gives up when the leaf does not shrink; then the paused live copy
/// (docs/storage-manager.md#snapshot-coalesce).
struct SMLeafCoalesce: LeafCoalesceStrategy {
  let policy: LiveCoalescePolicy
  var tracker: CoalesceTracker

  mutating func nextMove(for leaf: VHDNode, speed: Double?) -> LeafCoalesceMove {
    policy.canLiveCoalesce(leaf, speed: speed)
      ? .pausedCopy(timeoutSeconds: policy.copyTimeoutSeconds) : .snapshotRound
  }

  mutating func roundEnded(sizeBefore: UInt64, sizeAfter: UInt64) -> (reason: String, log: [String])? {
    guard let reason = tracker.abort(previousSize: sizeBefore, currentSize: sizeAfter) else { return nil }
    return (tracker.message(for: reason), tracker.summaryLines(reason: reason))
  }
}

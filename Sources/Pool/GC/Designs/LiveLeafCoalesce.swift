// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository

/// The paused live copy only, when the live test passes; otherwise the leaf is left alone
/// (docs/storage-manager.md#live-leaf-test). sm itself falls back to snapshot-coalesce for a leaf that
/// fails the test.
struct LiveLeafCoalesce: LeafCoalesceStrategy {
  let policy: LiveCoalescePolicy

  mutating func nextMove(for leaf: VHDNode, speed: Double?) -> LeafCoalesceMove {
    policy.canLiveCoalesce(leaf, speed: speed)
      ? .pausedCopy(timeoutSeconds: policy.copyTimeoutSeconds) : .refuse
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository

/// The paused live copy alone: `force` (sm with `leaf-coalesce=force`, whose policy always passes and
/// has no timeout) and the hypothetical `live-only`, which leaves a leaf that fails the live test
/// alone (docs/storage-manager.md#live-leaf-test) where sm would run snapshot-coalesce rounds.
struct LiveLeafCoalesce: LeafCoalesceStrategy {
  let policy: LiveCoalescePolicy

  mutating func nextMove(for leaf: VHDNode, speed: Double?) -> LeafCoalesceMove {
    policy.canLiveCoalesce(leaf, speed: speed)
      ? .pausedCopy(timeoutSeconds: policy.copyTimeoutSeconds) : .refuse
  }
}

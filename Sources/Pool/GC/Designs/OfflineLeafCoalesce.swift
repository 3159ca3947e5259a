// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository

/// The VM suspended (its tapdisk paused) for the whole copy, with no time limit
/// (docs/storage-manager.md#offline-leaf-coalesce).
struct OfflineLeafCoalesce: LeafCoalesceStrategy {
  mutating func nextMove(for leaf: VHDNode, speed: Double?) -> LeafCoalesceMove {
    .pausedCopy(timeoutSeconds: nil)
  }
}

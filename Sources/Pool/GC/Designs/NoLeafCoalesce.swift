// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository

/// Leaf coalesce off: the leaf stays on top of its chain (sm with `leaf-coalesce=false`).
struct NoLeafCoalesce: LeafCoalesceStrategy {
  mutating func nextMove(for leaf: VHDNode, speed: Double?) -> LeafCoalesceMove { .abandon }
}

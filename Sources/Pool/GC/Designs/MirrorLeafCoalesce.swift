// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository

/// A hypothetical design (sm has none like it): copy while the guest runs, tracking the blocks it
/// dirties, re-copy them in passes, and pause only for the last delta (docs/storage-manager.md#policy-knobs).
struct MirrorLeafCoalesce: LeafCoalesceStrategy {
  let parameters: MirrorParameters

  mutating func nextMove(for leaf: VHDNode, speed: Double?) -> LeafCoalesceMove { .mirror }

  func pausesForLastPass(afterPass pass: Int, dirtyBytes: UInt64) -> Bool {
    parameters.shouldPause(afterPass: pass, dirtyBytes: dirtyBytes)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository

/// sm's LVM `coalesce-leaf` plugin (docs/storage-manager.md#offline-leaf-coalesce): the VM suspended
/// (its tapdisk paused, the guest stalled for the suspend, the copy and the resume), the coalesce
/// forced with no time limit, the VM resumed.
struct OfflineLeafCoalesce: LeafCoalesceStrategy {
  let parameters: OfflineParameters

  mutating func nextMove(for leaf: VHDNode, speed: Double?) -> LeafCoalesceMove {
    .suspendedCopy(
      suspend: SimTime(seconds: parameters.suspendSeconds), resume: SimTime(seconds: parameters.resumeSeconds)
    )
  }
}

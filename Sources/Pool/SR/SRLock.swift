// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository

/// The SR and its lock as the GC and the SR operations reach them. sm serialises SR operations on a
/// per-SR lock (docs/storage-manager.md#live-leaf-coalesce); here a leaf-coalesce job holds it for its leaf's
/// VDI for the whole job, and a snapshot of that VDI waits for it.
final class SRLock {
  let sr: SR
  /// VDI (tapdisk index) → the GC worker whose leaf job holds the lock for it.
  private var leafHolders: [Int: Int] = [:]

  init(sr: SR) { self.sr = sr }

  /// GC worker `worker` starts a leaf job on attached VDI `vdi`.
  func holdLeaf(vdi: Int, worker: Int) { leafHolders[vdi] = worker }

  /// GC worker `worker` is done: it holds nothing any more.
  func release(worker: Int) { leafHolders = leafHolders.filter { $0.value != worker } }

  /// Whether a snapshot of attached VDI `vdi` must wait (a leaf job holds the lock for it).
  func blocksSnapshot(of vdi: Int) -> Bool { leafHolders[vdi] != nil }
}

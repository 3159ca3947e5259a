// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository

/// sm's per-SR lock (the `sr` lock every SM operation on the SR takes; docs/storage-manager.md#sr-lock):
/// one holder at a time, the others queued first come, first served. SR operations (snapshot, delete,
/// scan) hold it for their whole run, pause included; the GC holds it for its internal snapshots (an
/// SM snapshot like any other), for the relink and refresh at the end of a non-leaf coalesce, and for
/// the whole paused live leaf step — not while a snapshot-coalesce round copies, so a user's snapshot
/// proceeds then and the GC drops that leaf attempt when it sees the changed tree.
final class SRLock {
  /// Who holds or waits for the lock.
  enum Holder: Equatable {
    /// Scheduled SR operation `k` (`SRHost.operations`).
    case srOperation(Int)
    /// GC worker `id`.
    case gcWorker(Int)
  }

  let sr: SR
  private(set) var holder: Holder?
  /// Waiting, in arrival order.
  private var queue: [Holder] = []

  init(sr: SR) { self.sr = sr }

  /// Takes the lock for `h` when it is free (or already `h`'s) and returns true; otherwise queues `h`
  /// (once) and returns false: `h` hears of the grant through `release`'s result.
  func acquire(_ h: Holder) -> Bool {
    if holder == h { return true }
    if holder == nil && (queue.isEmpty || queue.first == h) {
      if queue.first == h { queue.removeFirst() }
      holder = h
      return true
    }
    if !queue.contains(h) { queue.append(h) }
    return false
  }

  /// `h` lets go (nothing when it does not hold it); the next waiter, now holding the lock, is
  /// returned so the caller can wake it.
  @discardableResult
  func release(_ h: Holder) -> Holder? {
    guard holder == h else { return nil }
    holder = nil
    guard !queue.isEmpty else { return nil }
    let next = queue.removeFirst()
    holder = next
    return next
  }

  /// Forgets a waiter that gave up (a finished GC worker still queued).
  func withdraw(_ h: Holder) { queue.removeAll { $0 == h } }
}

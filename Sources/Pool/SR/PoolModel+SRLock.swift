// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

extension PoolModel {
  /// `h` releases the SR lock; the next waiter, which now holds it, goes on: a queued SR operation
  /// begins again (at once, as its own event), a GC worker continues what it waited to do.
  mutating func releaseSRLock(_ h: SRLock.Holder, sim: inout Simulator<PoolEvent>) {
    guard let next = host.lock.release(h) else { return }
    switch next {
    case .srOperation(let k): sim.schedule(.srOperation(index: Int32(k)), after: .zero)
    case .gcWorker(let w): host.daemon.lockGranted(worker: w, &sim)
    }
  }
}

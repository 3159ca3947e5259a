// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// The pool's side of the tapdisk pause protocol: it marks held requests, performs a reopen's metadata
/// read on the disk, and tells the waiter a ``Tapdisk`` names when its drain or reopen is done.
extension PoolModel {
  /// A scheduled pause: stop taking requests (drain what is in flight, hold new ones).
  mutating func pause(_ vdi: Int, at now: SimTime) {
    guard tapdisks[vdi].state == .running else { return }
    markHeld(vdi, at: now)
    tapdisks[vdi].pause()
  }

  /// Requests queued at a tapdisk that stops taking them are held from now.
  mutating func markHeld(_ vdi: Int, at now: SimTime) {
    for k in 0..<tapdisks[vdi].waiting.count {
      let s = tapdisks[vdi].waiting[k]
      if requests[s].timing.heldSince == .min { requests[s].timing.heldSince = now }
    }
  }

  /// Pauses tapdisk `vdi` for `client` (drain, then `paused`); false when the tapdisk is busy with
  /// another pause, snapshot or reopen (the caller retries shortly).
  mutating func requestPause(_ vdi: Int, for client: TapdiskClient, sim: inout Simulator<PoolEvent>) -> Bool {
    guard tapdisks[vdi].isIdle else { return false }
    // The pause observes the leaf: an epoch VM's writes before it are applied first.
    do { try catchUpEpochs(before: .pause(vdi: Int32(vdi)), at: sim.now) } catch { fail(error, sim: &sim) }
    host.pauseStarted[vdi] = sim.now
    markHeld(vdi, at: sim.now)
    if tapdisks[vdi].requestPause(for: client) == .paused { paused(vdi, for: client, sim: &sim) }
    return true
  }

  /// The last request in flight completed on a draining tapdisk: serve whoever waited for the drain.
  mutating func drained(_ vdi: Int, sim: inout Simulator<PoolEvent>) {
    switch tapdisks[vdi].drained() {
    case .unpause(let reopen)?: unpause(vdi, reopen: reopen, sim: &sim)
    case let client?: paused(vdi, for: client, sim: &sim)
    case nil: break
    }
  }

  /// A scheduled unpause: run again, after a reopen of the chain when `reopen`.
  mutating func unpause(_ vdi: Int, reopen: Bool, sim: inout Simulator<PoolEvent>) {
    switch tapdisks[vdi].state {
    case .running, .reopening: return
    case .draining:
      tapdisks[vdi].deferUnpause(reopen: reopen)
      return
    case .paused: break
    }
    guard reopen else {
      tapdisks[vdi].resume()
      pump(vdi, sim: &sim)
      return
    }
    do {
      try reopenChain(vdi, for: nil, sim: &sim)
    } catch {
      fail(error, sim: &sim)
    }
  }

  /// Reopens paused tapdisk `vdi` on its leaf path (the chain may have changed; `closeFirst` when the
  /// caller has not closed it yet) and reads every level's metadata through the disk; `client` is told
  /// when that read is done and the tapdisk runs again.
  mutating func reopenChain(
    _ vdi: Int, closeFirst: Bool = true, for client: TapdiskClient?, sim: inout Simulator<PoolEvent>
  ) throws {
    if closeFirst { try tapdisks[vdi].chain.close() }
    let chain = try engine.open(tapdisks[vdi].leafPath)
    let volumes = try tap.state.pointee.placement.attachVolumes(of: chain)
    tapdisks[vdi].beginReopen(chain, levelVolumes: volumes, for: client)
    let s = requests.allocate()
    requests[s].kind = .reopen
    requests[s].vdi = Int32(vdi)
    requests[s].ops.removeAll(keepingCapacity: true)
    for (level, image) in chain.images.enumerated() {
      for r in Tapdisk.reopenReads(image) {
        try tap.state.pointee.placement.translate(
          volume: volumes[level], offset: r.offset, length: r.length, isWrite: false,
          into: &requests[s].ops)
        metrics.result.reopens.bytes += r.length
      }
    }
    metrics.result.reopens.count += 1
    submit(s, sim: &sim)
  }

  /// The reopen's metadata read completed: the tapdisk runs again and its waiter hears of it.
  mutating func reopened(_ vdi: Int, sim: inout Simulator<PoolEvent>) {
    let client = tapdisks[vdi].reopened()
    pump(vdi, sim: &sim)
    if let client, client.isSRLayer { resumed(vdi, for: client, sim: &sim) }
  }

  /// The SR layer's client has its tapdisk paused.
  mutating func paused(_ vdi: Int, for client: TapdiskClient, sim: inout Simulator<PoolEvent>) {
    switch client {
    case .srOperation(let k):
      // The SM driver's own work (Python start, locks, LVM commands) with the VM paused.
      let work = host.daemon.settings.costs.smSnapshot
      if work > .zero {
        sim.schedule(.srSnapshotPaused(index: Int32(k), vdi: Int32(vdi)), after: work)
      } else {
        SROperations.snapshotPaused(k, vdi: vdi, &self, &sim)
      }
    case .gcWorker(let w): host.daemon.workerPaused(w, vdi: vdi, &self, &sim)
    case .unpause: break
    }
  }

  /// The SR layer's client has its tapdisk running again: the pause is over.
  mutating func resumed(_ vdi: Int, for client: TapdiskClient, sim: inout Simulator<PoolEvent>) {

    let length = host.pauseStarted.removeValue(forKey: vdi).map { sim.now - $0 } ?? .zero
    host.recordPause(vdi: vdi, length: length)
    switch client {
    case .srOperation(let k):
      host.operations[k].resumedAt = sim.now
      if let j = host.operations[k].journalSnapshot { journal.snapshots[j].resumedAt = sim.now }
      releaseSRLock(.srOperation(k), sim: &sim)
    case .gcWorker(let w): host.daemon.workerResumed(w, vdi: vdi, pause: length, &self, &sim)
    case .unpause: break
    }
  }
}

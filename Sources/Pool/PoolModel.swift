// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD
import Workloads

/// What happens in the pool, as plain values the kernel stores without allocating.
public enum PoolEvent: Sendable {
  /// A request reaches its tapdisk (the slot already holds it).
  case arrive(slot: Int32)
  /// The engine's processor time for a request slot is over: its I/O goes to the disk.
  case engineDone(slot: Int32)
  /// The disk finished serving a request slot.
  case diskDone(slot: Int32)
  /// The disk finished one I/O of a request slot served one I/O at a time (a disk that times I/Os as
  /// they start).
  case diskIODone(slot: Int32)
  /// A tapdisk's thread ends its current action (`TapdiskThread`).
  case threadStep(vdi: Int32)
  /// The disk's round in service ends: its I/Os complete together
  /// (docs/simulation.md#completion-rounds).
  case diskRound
  /// A request that needed no device I/O (reads of never-written sectors) completes.
  case done(slot: Int32)
  /// The metrics' periodic sample of the pool's state.
  case sample
  case pause(vdi: Int32)
  case unpause(vdi: Int32, reopen: Bool)
  /// A scheduled storage-repository operation (index into the SR host's records) begins or retries.
  case srOperation(index: Int32)
  /// Snapshot operation `index` has spent the SM driver's work with tapdisk `vdi` paused: snapshot now.
  case srSnapshotPaused(index: Int32, vdi: Int32)
  /// A backup schedule's period comes round.
  case backup(schedule: Int32)
  /// The periodic SR scan (xapi's auto-scan), which kicks the GC.
  case autoScan
  /// The SR attach kicks the GC.
  case gcKick
  /// The GC's quiet period ends.
  case gcQuietPeriodEnded
  /// A GC worker's timer (operation overhead, pause retry, copy timeout) expires.
  case gcTimer(worker: Int32)
  /// An epoch ends: every epoch-resolution VM's guest I/O so far is applied (bounding how stale a
  /// leaf seen by an event that does not apply its VM's I/O can be).
  case epochTick
}

/// The simulated system as one `SimulationModel`: its parts, and the dispatch of every event to the
/// part it concerns. Every pool runs over a storage repository (its `SRHost`). The guest request path
/// is in `GuestRequestPath.swift`, the tapdisk pause protocol in `TapdiskControl.swift`, the SR's
/// placement in `PlacementSync.swift`; SR operations, backups and the GC daemon live in the SR host.
/// `PoolSimulation` is the public front.
struct PoolModel: SimulationModel {
  var disk: SimulatedDisk
  /// The engine behind every tapdisk (options, I/O tap, accounting, data buffer).
  var engine: EngineCall
  /// The engine's processor time per request (`EngineCPUCost.none`: none).
  var engineCPU = EngineCPUCost.none
  var tapdisks: [Tapdisk] = []
  var vms: [VirtualMachine] = []
  /// VMs simulated at epoch resolution (`EpochGuestPath.swift`), and their longest interval.
  var epochGuests: [EpochGuest] = []
  var epochLength: SimTime?
  /// The epoch VM on each tapdisk (index into `epochGuests`), and the one write set every epoch VM's
  /// intervals are drawn into (its per-block masks held once per pool, not once per VM).
  var epochGuestOfTapdisk: [Int: Int] = [:]
  var epochScratch = EpochWriteSet(diskSectors: 0)
  var requests = SlotTable()
  var metrics = MetricsRecorder()
  /// Write log and snapshots of a consistency pool.
  var journal = WriteJournal()
  /// The storage repository the VDIs live in, and its GC.
  let host: SRHost
  /// Flushes the generators asked for (acknowledged at once: data is in the image when a write completes).
  var flushes = 0
  var failure: (any Error)?

  init(disk: any DiskModel, host: SRHost) {
    self.disk = SimulatedDisk(model: disk)
    let sr = host.sr
    let placement = SRPlacement(kind: sr.kind.placementKind, capacity: disk.capacityBytes)
    engine = EngineCall(tap: IOTap(placement: placement), storage: sr.storage, options: sr.engineOptions)
    self.host = host
  }

  var storage: any Storage { engine.storage }
  var tap: IOTap { engine.tap }

  mutating func handle(_ event: PoolEvent, at now: SimTime, sim: inout Simulator<PoolEvent>) {
    if !epochGuests.isEmpty {
      do { try catchUpEpochs(before: event, at: now) } catch {
        fail(error, sim: &sim)
        return
      }
    }
    switch event {
    case .arrive(let slot): arrive(slot, sim: &sim)
    case .engineDone(let slot): submit(slot, sim: &sim)
    case .diskDone(let slot): diskDone(slot, sim: &sim)
    case .diskIODone(let slot):
      // A guest's I/O completes to its tapdisk's thread; a reopen's or GC step's serves its next.
      if requests[slot].kind == .guest {
        TapdiskThreadWork.ioCompleted(slot, &self, &sim)
      } else {
        serveNextIO(slot, sim: &sim)
      }
    case .threadStep(let vdi): TapdiskThreadWork.step(Int(vdi), &self, &sim)
    case .diskRound: DiskRoundPath.roundEnded(&self, &sim)
    case .done(let slot): finish(slot, sim: &sim)
    case .sample: sample(sim: &sim)
    case .pause(let vdi): pause(Int(vdi), at: now)
    case .unpause(let vdi, let reopen): unpause(Int(vdi), reopen: reopen, sim: &sim)
    case .srOperation(let index): SROperations.begin(Int(index), &self, &sim)
    case .srSnapshotPaused(let index, let vdi):
      SROperations.snapshotPaused(Int(index), vdi: Int(vdi), &self, &sim)
    case .backup(let schedule): SROperations.runBackup(Int(schedule), &self, &sim)
    case .autoScan: host.daemon.autoScan(&self, &sim)
    case .gcKick: host.daemon.kick(&self, &sim)
    case .gcQuietPeriodEnded: host.daemon.quietPeriodEnded(&self, &sim)
    case .gcTimer(let worker): host.daemon.timerExpired(worker: Int(worker), &self, &sim)
    case .epochTick: if let length = epochLength { sim.schedule(.epochTick, after: length) }  // caught up above
    }
  }

  /// The periodic sample: chain depth, space, completions (and the SR's utilisation).
  mutating func sample(sim: inout Simulator<PoolEvent>) {
    metrics.sample(
      at: sim.now, chainDepth: tapdisks.map(\.chain.depth).max() ?? 0,
      allocatedBytes: tap.state.pointee.placement.allocatedBytes)
    do { try host.recordSpace(at: sim.now) } catch { fail(error, sim: &sim) }
    if let dt = metrics.sampleInterval { sim.schedule(.sample, after: dt) }
  }

  /// Stops the run with the first error.
  mutating func fail(_ error: any Error, sim: inout Simulator<PoolEvent>) {
    if failure == nil { failure = error }
    sim.stop()
  }
}

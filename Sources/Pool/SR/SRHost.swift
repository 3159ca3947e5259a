// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD

/// Who asked for a tapdisk pause through the SR layer, so the drain and the reopen report back.
enum PauseClient {
  case srOperation(Int)
  case gcWorker(Int)
}

/// The pool's side of the storage repository it runs over: the `SR` (time-free), which tapdisk serves
/// which VDI, the scheduled SR operations, the GC daemon's state and what it measured. A class, so
/// the many small mutations of the GC do not copy the pool model.
final class SRHost {
  let sr: SR
  var settings: GCSettings
  /// Leaf-coalesce design of this SR's GC.
  var design: LeafCoalesceDesign { settings.leafDesign }
  /// Attached VDIs: uuid per tapdisk index (nil for tapdisks attached by path) and the reverse.
  var uuidOfTapdisk: [String?] = []
  var tapdiskOfUUID: [String: Int] = [:]
  var operations: [SROperationRecord] = []
  var backups: [BackupSchedule] = []
  /// The GC daemon.
  var daemon = GCDaemonState()
  /// SMlog-style log of the GC (§6), when the pool was asked for one.
  var smlog: SMLog?
  var workers: [GCWorker?] = []
  /// The SR's speed log (§1.3): one sample per coalesce run, leaf or not.
  var speedLog = CoalesceSpeedLog()
  /// The step machines' I/O, collected per step and placed afterwards.
  let recorder = GCStepRecorder()
  var result = GCResult()
  /// When each VDI's current SR-layer pause began (the pause request).
  var pauseStarted: [Int: SimTime] = [:]
  /// GC requests on the disk now.
  var gcRequestsInFlight = 0
  /// Time integration of "some GC operation runs".
  var busySince: SimTime?
  var activeSince: SimTime?
  /// Last recorded depth per VDI, to record changes only.
  var lastDepth: [String: Int] = [:]
  /// Size each node's volume was last placed for (`syncPlacement` skips unchanged ones).
  var placedSizes: [String: UInt64] = [:]

  init(sr: SR, settings: GCSettings) {
    self.sr = sr
    self.settings = settings
  }

  /// Running workers (in id order).
  var activeWorkers: [GCWorker] { workers.compactMap { $0 } }

  /// The tapdisk serving VDI `uuid`, if the pool attached it.
  func tapdisk(of uuid: String) -> Int? { tapdiskOfUUID[uuid] }

  /// Records one finished pause of tapdisk `vdi` of `length`.
  func recordPause(vdi: Int, length: SimTime) {
    guard uuidOfTapdisk.indices.contains(vdi), let uuid = uuidOfTapdisk[vdi],
      let k = result.pauses.firstIndex(where: { $0.vdi == uuid })
    else { return }
    result.pauses[k].count += 1
    result.pauses[k].total += length
    if length > result.pauses[k].max { result.pauses[k].max = length }
  }

  /// Notes the number of running GC operations changed (busy time, peak concurrency).
  func workersChanged(at now: SimTime) {
    let n = activeWorkers.count
    result.maxConcurrentOperations = Swift.max(result.maxConcurrentOperations, n)
    if n > 0, busySince == nil { busySince = now }
    if n == 0, let since = busySince {
      result.busyTime += now - since
      busySince = nil
    }
  }

  /// Records depth of every attached VDI and the SR's physical utilisation, where they changed.
  func recordState(at now: SimTime) throws(SRError) {
    let tree = try sr.scanTree()
    for case let uuid? in uuidOfTapdisk {
      guard tree.node(uuid) != nil else { continue }
      let d = tree.depth(of: uuid)
      if lastDepth[uuid] != d {
        lastDepth[uuid] = d
        if let k = result.depth.firstIndex(where: { $0.vdi == uuid }) {
          result.depth[k].samples.append(DepthSample(time: now, depth: d))
        }
      }
    }
    try recordSpace(at: now)
  }

  /// Records the SR's physical utilisation if it changed (and the peak).
  func recordSpace(at now: SimTime) throws(SRError) {
    let used = try sr.physicalUtilisation()
    if result.space.last?.bytes != used {
      if result.space.last?.time == now {
        result.space[result.space.count - 1].bytes = used
      } else {
        result.space.append(SpaceSample(time: now, bytes: used))
      }
    }
    result.spacePeak = Swift.max(result.spacePeak, used)
  }

  /// The result at the end of a run of `duration` (open busy and active spans closed at `duration`).
  func finalResult(at duration: SimTime) -> GCResult {
    var r = result
    r.duration = duration
    if let since = busySince { r.busyTime += duration - since }
    if let since = activeSince { r.activeTime += duration - since }
    return r
  }
}

/// The GC daemon of one SR (§1.4): whether a GC process is alive, its failed-target memory and the
/// quiet period it may be sleeping through.
struct GCDaemonState {
  /// A GC process exists (from the kick that started it to its exit).
  var alive = false
  /// Sleeping through the quiet period (work is not started until it ends).
  var quiet = false
  /// `_failedCoalesceTargets` of the current process: cleared by the next kick after it exits.
  var failed: Set<String> = []
  /// Token of the quiet-period wake-up, so a stale one is ignored.
  var token = 0
}

/// Collects the physical I/O a GC step machine reports during one step; the pool places it with the
/// step's `levelPaths` and sends it to the disk as one GC request.
final class GCStepRecorder: IOObserver {
  var ios: [PhysicalIO] = []

  init() { ios.reserveCapacity(256) }

  func reset() { ios.removeAll(keepingCapacity: true) }

  func observe(_ io: PhysicalIO) { ios.append(io) }
}

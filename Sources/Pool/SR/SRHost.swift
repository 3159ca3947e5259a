// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD

/// The pool's side of the storage repository it runs over: the `SR` (time-free) behind its lock,
/// which tapdisk serves which VDI, the scheduled SR operations and backups, the GC daemon, and what
/// they measured. A class, so the many small mutations of the GC do not copy the pool model.
final class SRHost {
  let lock: SRLock
  /// Attached VDIs: uuid per tapdisk index (nil for tapdisks attached by path) and the reverse.
  var uuidOfTapdisk: [String?] = []
  var tapdiskOfUUID: [String: Int] = [:]
  var operations: [SROperationRecord] = []
  var backups: [BackupSchedule] = []
  /// The GC daemon of this SR.
  let daemon: GCDaemon
  /// SMlog-style log of the GC (docs/storage-manager.md#smlog-format), when the pool was asked for one.
  var smlog: SMLog?
  var result = GCResult()
  /// When each VDI's current SR-layer pause began (the pause request).
  var pauseStarted: [Int: SimTime] = [:]
  /// Last recorded depth per VDI, to record changes only.
  var lastDepth: [String: Int] = [:] {
    didSet { depthsRecorded = nil }
  }
  /// The tree (`SR.treeGeneration`) whose depths `lastDepth` holds; nil when none or after an attach.
  private var depthsRecorded: UInt64?
  /// Where each VDI's entries are in `result.pauses` and `result.series.depth` (appended together
  /// when it is first attached), so recording does not search them per VDI.
  var resultIndex: [String: Int] = [:]
  /// Size each node's volume was last placed for (`syncPlacement` skips unchanged ones).
  var placedSizes: [String: UInt64] = [:]

  init(sr: SR, settings: GCSettings) {
    lock = SRLock(sr: sr)
    daemon = GCDaemon(settings: settings)
  }

  var sr: SR { lock.sr }

  /// The tapdisk serving VDI `uuid`, if the pool attached it.
  func tapdisk(of uuid: String) -> Int? { tapdiskOfUUID[uuid] }

  /// Records one finished pause of tapdisk `vdi` of `length`.
  func recordPause(vdi: Int, length: SimTime) {
    guard uuidOfTapdisk.indices.contains(vdi), let uuid = uuidOfTapdisk[vdi], let k = resultIndex[uuid]
    else { return }
    result.pauses[k].count += 1
    result.pauses[k].total += length
    if length > result.pauses[k].max { result.pauses[k].max = length }
  }

  /// Records depth of every attached VDI and the SR's physical utilisation, where they changed.
  func recordState(at now: SimTime) throws(SRError) {
    let tree = try sr.scanTree()
    let generation = sr.treeGeneration()
    // The same tree (and the same VDIs attached) has the depths last recorded.
    if generation == nil || generation != depthsRecorded {
      recordDepths(tree, at: now)
      depthsRecorded = generation
    }
    try recordSpace(at: now)
  }

  /// Records each attached VDI's depth in `tree` where it changed.
  private func recordDepths(_ tree: VHDTree, at now: SimTime) {
    for case let uuid? in uuidOfTapdisk {
      // 0: not in the tree.
      let d = tree.depth(of: uuid)
      guard d > 0 else { continue }
      if lastDepth[uuid] != d {
        lastDepth[uuid] = d
        if let k = resultIndex[uuid] {
          result.series.depth[k].samples.append(DepthSample(time: now, depth: d))
        }
      }
    }
  }

  /// Records the SR's physical utilisation if it changed (and the peak).
  func recordSpace(at now: SimTime) throws(SRError) {
    let used = try sr.space.physicalUtilisation()
    if result.series.space.last?.bytes != used {
      if result.series.space.last?.time == now {
        result.series.space[result.series.space.count - 1].bytes = used
      } else {
        result.series.space.append(SpaceSample(time: now, bytes: used))
      }
    }
    result.series.spacePeak = Swift.max(result.series.spacePeak, used)
  }

  /// Writes `text` to the SMlog-style log, stamped with the simulated time (when there is a log).
  func smlog(_ text: String, at now: SimTime) {
    guard let log = smlog else { return }
    log.timestamp = Self.smlogTime(now)
    log.log(text)
  }

  /// Simulated time as the log's time stamp: seconds with microseconds, fixed width.
  static func smlogTime(_ t: SimTime) -> String {
    let us = t.nanoseconds / 1000
    let s = String(us / 1_000_000)
    let frac = String(us % 1_000_000)
    return "t+" + String(repeating: "0", count: Swift.max(0, 9 - s.count)) + s + "."
      + String(repeating: "0", count: 6 - frac.count) + frac
  }

  /// The result at the end of a run of `duration` (open busy and active spans closed at `duration`).
  func finalResult(at duration: SimTime) -> GCResult {
    var r = result
    r.duration = duration
    if let since = daemon.busySince { r.activity.busy += duration - since }
    if let since = daemon.activeSince { r.activity.active += duration - since }
    return r
  }
}

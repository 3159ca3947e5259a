// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import StorageRepository

/// What a run's snapshot-coalesce iterations say about the fixed-point model
/// (docs/storage-manager.md#fixed-point), in payload bytes (what a coalesce copies): the guest's
/// write rate w (what iteration i copied over the time since iteration i − 1 took its snapshot),
/// the coalesce rate s (bytes copied over copy time), the fixed cost per iteration c (pause,
/// snapshot and overhead before each copy), and the fixed point w·c/(1 − w/s) they predict beside
/// the last copy measured — so a report can put the analytic answer next to the simulated one. (The
/// tracker judges physical sizes, which grow by a whole 2 MiB block per newly written block: a
/// scattered writer's leaf is much bigger than its payload.)
enum SnapshotCoalesceFit {
  static func metrics(_ gc: GCResult) -> [String: Double] {
    let log = gc.leaf.attempts.flatMap(\.iterationLog)
    guard log.count >= 3 else { return [:] }
    let copyTime = log.reduce(0.0) { $0 + ($1.ended - $1.coalesceStarted).seconds }
    var written: UInt64 = 0
    var between = 0.0
    for i in 1..<log.count where log[i].started > log[i - 1].started {
      written += log[i].bytesCopied
      between += (log[i].started - log[i - 1].started).seconds
    }
    guard copyTime > 0, between > 0 else { return [:] }
    let w = Double(written) / between
    let s = Double(log.reduce(UInt64(0)) { $0 + $1.bytesCopied }) / copyTime
    let c = log.reduce(0.0) { $0 + ($1.coalesceStarted - $1.started).seconds } / Double(log.count)
    var m: [String: Double] = [
      Metric.scIterations.name: Double(log.count),
      Metric.scCopiedLastBytes.name: Double(log.last!.bytesCopied),
      Metric.scWriteRate.name: w,
      Metric.scCoalesceRate.name: s,
      Metric.scOverhead.name: c,
    ]
    let x = SnapshotCoalesceModel.fixedPoint(writeRate: w, coalesceRate: s, overhead: c)
    if let x { m[Metric.scFixedPoint.name] = x }
    m[Metric.scPredictedLive.name] = x.map { $0 / s < LiveCoalescePolicy.xcp.allowedSeconds ? 1 : 0 } ?? 0
    return m
  }
}

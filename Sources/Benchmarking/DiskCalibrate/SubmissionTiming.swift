// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// The tapdisk thread's time in `io_submit` per I/O (`EngineCPUCost.perSubmit`,
/// docs/simulation.md#engine-cpu-time): fio's mean submission latency (slat) in the random 4 KiB
/// 70/30 job at its lowest depth (8; 32 in a quick grid), the validation's mix with I/Os already in
/// flight, reads and writes weighted by their IOPS. fio submits one I/O a call there; tapdisk submits
/// a turn's I/Os in one call, which saves the call's entry and exit but not the work per I/O.
public enum SubmissionTiming {
  /// The time, or zero when the grid has no such job or fio gave no submission latency.
  public static func perIO(_ grid: [FioMeasurement]) -> SimTime {
    let mixed = grid.filter {
      $0.job.isMixed && !$0.job.batched && $0.job.random && $0.job.blockBytes == 4096
        && $0.result.meanSubmissionNs != nil
    }
    guard let depth = mixed.map(\.job.queueDepth).min() else { return .zero }
    let jobs = mixed.filter { $0.job.queueDepth == depth }
    let iops = jobs.reduce(0.0) { $0 + $1.result.iops }
    guard iops > 0 else { return .zero }
    let ns = jobs.reduce(0.0) { $0 + $1.result.iops * $1.result.meanSubmissionNs! } / iops
    return SimTime(nanoseconds: Int64(ns.rounded()))
  }
}

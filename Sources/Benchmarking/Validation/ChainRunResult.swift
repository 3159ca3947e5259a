// SPDX-License-Identifier: GPL-3.0-or-later
import Pool

/// One side's run of a validation case, real (`RealChainRun`) or simulated (`SimulatedChainRun`), in
/// the one form the comparison takes, so both sides' figures are computed the same way.
struct ChainRunResult {
  /// Every request in completion order: read or write, physical I/Os, latency.
  var requests: [RequestClassComparison.Request]
  /// From the first request's start to the last one's completion (wall clock or simulated).
  var elapsedSeconds: Double
  var physicalIOs: Int
  /// The processor time of the thread serving the requests (tapdisk's): measured on the real side
  /// (`CLOCK_THREAD_CPUTIME_ID` around the loop), charged by the model on the simulated one.
  var threadBusySeconds: Double = 0
  /// The thread's wall-clock time waiting for a completion (real: in io_getevents; simulated: all
  /// but the charged processor time). The rest of the run the thread was occupied: computing,
  /// or blocked in a system call.
  var threadWaitingSeconds: Double = 0
  /// Of the occupied time, in io_submit (real: around the loop's calls; simulated: the model's
  /// thread, the waits the file system makes included).
  var submitSeconds: Double = 0
  /// What the host's block device completed over the run (real side, where the kernel counts it).
  var hostDisk: HostDiskCounters?
  /// The I/Os' time in flight, summed, and how many were timed: real, each AIO request from the
  /// io_submit that took it to the io_getevents that collected it (zeroings, done in place, not
  /// among them); simulated, each I/O's service time from the disk model, which fio's total latency
  /// (submission to collection) was fitted to.
  var inFlightSeconds: Double = 0
  var iosTimed = 0
  /// The thread's `io_getevents` calls and the completions they returned (real: the loop's;
  /// simulated: the model's thread in turns, over the whole simulated run).
  var collections = CollectionCounts()

  /// Over one run or several pooled: the mean time of an I/O, µs (all their I/Os' time in flight
  /// over all their I/Os), and the mean number in flight (Little's law: over all their time).
  static func inFlight(of runs: [ChainRunResult]) -> (usPerIO: Double, meanInFlight: Double) {
    let seconds = runs.reduce(0) { $0 + $1.inFlightSeconds }
    let ios = runs.reduce(0) { $0 + $1.iosTimed }
    let elapsed = runs.reduce(0) { $0 + $1.elapsedSeconds }
    return (1e6 * seconds / Double(Swift.max(1, ios)), seconds / Swift.max(1e-9, elapsed))
  }

  var threadOccupiedSeconds: Double { Swift.max(0, elapsedSeconds - threadWaitingSeconds) }

  var iops: Double { Double(requests.count) / Swift.max(1e-9, elapsedSeconds) }
}

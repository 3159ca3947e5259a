// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments

extension ValidationReport {
  /// The I/Os' time in flight and their mean number, in the real loop and in the model, and what the
  /// host's block device did under the real runs: whether the host added I/O of its own (file-system
  /// metadata, journal), and the queue the device itself worked at, with the time an I/O took there.
  var inFlightBlocks: [ReportDocument.Block] {
    let counted = cases.contains { $0.hostDiskReal != nil }
    return [
      .heading(level: 2, text: "I/Os in flight: the loop, the model and the host's device"),
      .paragraph(
        "Per I/O, not per request. Loop: each AIO request from the io_submit that took it to the "
          + "io_getevents that collected it (what fio's latency times, which the profile is fitted to), "
          + "and by Little's law the mean number in flight; model: the same span in its tapdisk thread's "
          + "turns (docs/simulation.md#the-tapdisk-thread-in-turns). Zeroings, made in place, are not timed. "
          + "Completions per io_getevents: how many each of the thread's collecting calls returned, near the "
          + "iodepth where the device hands them back in batches, near 1 where one by one. "
          + (counted
            ? "Device: the kernel's counters of the block device holding the chains (/sys/dev/block/…/stat), "
              + "read before and after each real run: the I/Os it completed per request beside the engine's "
              + "physical I/Os (more: the host added I/O, file-system metadata or its journal; fewer: it "
              + "merged some), the mean number in its own queue and the time an I/O spent there, and per "
              + "direction the mean time of a read and of a write from the block layer's allocation of its "
              + "request to its end; the rest of the loop's time is the guest's submission and completion "
              + "path. Other processes' I/O on the device counts too."
            : "The folder's device has no kernel counters (not Linux, or no block device under it).")),
      .table(
        header: [
          "depth", "iodepth", "µs per I/O, loop / model", "I/Os in flight, loop / model",
          "completions per io_getevents, loop / model",
          "device I/Os per request (engine's)", "device queue", "µs per device I/O",
          "µs per device read / write",
        ],
        rows: cases.map { c in
          let p = c.perRequest
          let h = c.hostDiskReal
          return [
            "\(c.depth)", "\(c.iodepth)", Self.pair(p.ioUsReal, p.ioUsSimulated),
            Self.pair(p.iosInFlightReal, p.iosInFlightSimulated, 2),
            // The model collects in turns only where it serves I/Os one at a time (a calibrated profile).
            p.completionsPerCollectSimulated > 0
              ? Self.pair(p.completionsPerCollectReal, p.completionsPerCollectSimulated, 2)
              : "\(Self.f(p.completionsPerCollectReal, 2)) / –",
            h.map { "\(Self.f($0.iosPerRequest, 3)) (\(Self.f(c.physicalIOsPerRequestReal, 3)))" } ?? "–",
            h.map { Self.f($0.meanQueue, 2) } ?? "–", h.map { Self.f($0.usPerIO) } ?? "–",
            h.map { "\(Self.f($0.usPerRead)) / \(Self.f($0.usPerWrite))" } ?? "–",
          ]
        }),
    ]
  }
}

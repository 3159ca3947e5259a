// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments

extension ValidationReport {
  /// What the host's block device did under the real runs, beside what the engine issued: whether the
  /// host added I/O of its own (file-system metadata, journal), and the queue the device worked at,
  /// with the time a device I/O took there. Empty where the kernel gave no counters.
  var hostDiskBlocks: [ReportDocument.Block] {
    let measured = cases.compactMap { c in c.hostDiskReal.map { (c, $0) } }
    guard !measured.isEmpty else { return [] }
    return [
      .heading(level: 2, text: "The host's device under the real runs"),
      .paragraph(
        "The kernel's counters of the block device holding the chains (/sys/dev/block/…/stat), read "
          + "before and after each real run: the I/Os the device completed per request beside the "
          + "engine's physical I/Os (more: the host added I/O, file-system metadata or its journal; "
          + "fewer: it merged some), the mean number of I/Os in its queue, and by Little's law the "
          + "time an I/O spent there. Compare that time with the profile's latency at that queue "
          + "depth: if they agree, the device behaved as calibrated and a gap lies in how the model "
          + "keeps the queue filled; if not, the device moved. Other processes' I/O on the device "
          + "counts too."),
      .table(
        header: [
          "depth", "iodepth", "engine I/Os per request", "device I/Os per request", "device mean queue",
          "µs per device I/O",
        ],
        rows: measured.map { c, h in
          [
            "\(c.depth)", "\(c.iodepth)", Self.f(c.physicalIOsPerRequestReal, 3), Self.f(h.iosPerRequest, 3),
            Self.f(h.meanQueue, 2), Self.f(h.usPerIO),
          ]
        }),
    ]
  }
}

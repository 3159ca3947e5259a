// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments

extension ValidationReport {
  /// The device check of `c`'s iodepth, if one ran.
  func deviceCheck(of c: ValidationCase) -> DeviceCheck? {
    deviceChecks.first { $0.iodepth == c.iodepth && $0.hasRatio }
  }

  /// A case's simulated/real IOPS with the device's drift taken out: divided by how much slower than
  /// the profile fio found the device (nil without a check).
  func driftAdjustedRatio(_ c: ValidationCase) -> Double? {
    deviceCheck(of: c).map { c.iopsRatio * $0.ratio }
  }

  /// The findings' sentences on the device check: how fast the device ran against the profile, and
  /// how far the cases are off once that is taken out.
  var deviceCheckFindings: String {
    let checks = deviceChecks.filter(\.hasRatio)
    guard !checks.isEmpty else { return "" }
    let each = checks.map {
      "\(Self.f($0.iopsFioMedian, 0)) IOPS at iodepth \($0.iodepth) against the profile's "
        + "\(Self.f($0.iopsProfile, 0)) (\(Self.f($0.ratio, 2)) ×)"
    }
    var text =
      " The device alone (fio on the same mix without the engine, at the start of each round) ran "
      + each.joined(separator: ", ") + "."
    let adjusted = cases.compactMap(driftAdjustedRatio)
    if let lo = adjusted.min(), let hi = adjusted.max() {
      let within = adjusted.filter { abs($0 - 1) <= 0.1 }.count
      text +=
        " With that drift taken out (simulated / real IOPS × fio now / profile), the cases lie at "
        + "\(Self.f(lo, 2)) to \(Self.f(hi, 2)), \(within) of \(adjusted.count) within 10 %."
    }
    return text
  }

  /// The section on the device check: one row per iodepth, and how to read it.
  var deviceCheckBlocks: [ReportDocument.Block] {
    guard !deviceChecks.isEmpty else { return [] }
    return [
      .heading(level: 2, text: "The device alone, now against the profile"),
      .paragraph(
        "Before each round of real runs, fio ran the validation's mix on the device without the engine "
          + "(random 4 KiB, the same share of reads, each iodepth; libaio and O_DIRECT as calibration runs "
          + "it), and the profile's disk model ran the same job. Their ratio is how fast the device was "
          + "during the validation against when it was calibrated; a case whose simulated / real IOPS is "
          + "off by the same ratio is off by the device's drift, not by the model of the engine and the "
          + "loop. The device's own time per I/O and mean queue under fio (Linux block-device counters, "
          + "not in the round whose job laid the scratch file out) compare with the same figures under the "
          + "loop in the section on I/Os in flight: at a like queue, a longer time there is the device serving "
          + "the loop's I/Os slower than fio's. docs/simulation.md#the-device-check."),
      .table(
        header: [
          "iodepth", "rounds", "fio IOPS (median, min–max)", "profile IOPS", "fio / profile",
          "mean µs, fio / profile", "device µs per I/O (queue) under fio",
        ],
        rows: deviceChecks.map { d in
          [
            "\(d.iodepth)", "\(d.iopsFio.count)",
            "\(Self.f(d.iopsFioMedian, 0)) (\(Self.f(d.iopsFio.min() ?? .nan, 0))–\(Self.f(d.iopsFio.max() ?? .nan, 0)))",
            Self.f(d.iopsProfile, 0), Self.f(d.ratio, 3),
            "\(Self.f(median(d.meanUsFio))) / \(Self.f(d.meanUsProfile))",
            d.deviceUsPerIOFio.map { "\(Self.f($0)) (\(Self.f(d.deviceQueueFio ?? .nan, 2)))" } ?? "–",
          ]
        }),
      .table(
        header: ["depth", "iodepth", "sim / real", "sim / real × fio / profile"],
        rows: cases.map { c in
          [
            "\(c.depth)", "\(c.iodepth)", Self.f(c.iopsRatio, 3),
            driftAdjustedRatio(c).map { Self.f($0, 3) } ?? "–",
          ]
        }),
    ]
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments

extension ValidationReport {
  /// The real runs per case (1 without repeats).
  var repeats: Int { cases.compactMap(\.realSpread?.repeats).max() ?? 1 }

  /// With repeats, the section that sets the model's error beside the machine's own: in how many
  /// cases the simulated IOPS lie within the real runs' range and the demerit within the noise floor,
  /// then the per-case figures. Empty for one run, so that report reads as it did before repeats.
  var spreadBlocks: [ReportDocument.Block] {
    let spread = cases.compactMap { c in c.realSpread.map { (c, $0) } }
    guard !spread.isEmpty else { return [] }
    return [
      .heading(level: 2, text: "Within the machine's own spread"),
      .paragraph(spreadFindings),
      .table(
        header: [
          "depth", "iodepth", "IOPS real median (min–max)", "IOPS sim", "IOPS in range", "p50 real µs",
          "p99 real µs", "demerit µs (%)", "noise floor µs (%)", "demerit within",
        ],
        rows: spread.map { c, s in
          [
            "\(c.depth)", "\(c.iodepth)", "\(Self.f(c.iopsReal, 0)) (\(Self.range(s.iopsMin, s.iopsMax, 0)))",
            Self.f(c.iopsSimulated, 0), Self.yesNo(c.iopsWithinRealRange == true),
            Self.range(s.p50MinUs, s.p50MaxUs), Self.range(s.p99MinUs, s.p99MaxUs, 0),
            "\(Self.f(c.demeritUs)) (\(Self.f(c.demeritPercent)) %)",
            "\(Self.f(s.demeritUs)) (\(Self.f(s.demeritPercent)) %)",
            Self.yesNo(c.demeritWithinRealSpread == true),
          ]
        }),
    ]
  }

  /// The section's sentences: what was repeated, the two counts and both together, and the case whose
  /// real IOPS moved most.
  var spreadFindings: String {
    let spread = cases.compactMap { c in c.realSpread.map { (c, $0) } }
    let n = spread.count
    let iops = spread.filter { $0.0.iopsWithinRealRange == true }.count
    let demerit = spread.filter { $0.0.demeritWithinRealSpread == true }.count
    let both = spread.filter { $0.0.iopsWithinRealRange == true && $0.0.demeritWithinRealSpread == true }
      .count
    func width(_ x: (ValidationCase, RealRunSpread)) -> Double { (x.1.iopsMax - x.1.iopsMin) / x.0.iopsReal }
    let widest = spread.max { width($0) < width($1) }!
    return
      "The real side of every case ran \(repeats) times, in rounds (every case once a round, each run on a "
      + "freshly built chain); the simulated side ran once, as it gives the same numbers every time. Real "
      + "figures elsewhere in this report are over all runs pooled, real IOPS the runs' median. The model "
      + "lands within the machine's own run-to-run spread in \(both) of \(n) cases: the simulated IOPS lie "
      + "within the real runs' range in \(iops) of \(n), and the demerit is at most the noise floor (the "
      + "largest demerit between one real run and the other runs pooled: how far this machine lands from "
      + "itself) in \(demerit) of \(n). The real IOPS moved most at chain depth \(widest.0.depth), iodepth "
      + "\(widest.0.iodepth): \(Self.range(widest.1.iopsMin, widest.1.iopsMax, 0)), "
      + "\(Self.f(100 * width(widest), 0)) % of the median."
  }

  /// `a–b`, or one figure when both print the same.
  static func range(_ low: Double, _ high: Double, _ digits: Int = 1) -> String {
    let a = f(low, digits)
    let b = f(high, digits)
    return a == b ? a : "\(a)–\(b)"
  }

  static func yesNo(_ x: Bool) -> String { x ? "yes" : "no" }
}

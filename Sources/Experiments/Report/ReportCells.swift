// SPDX-License-Identifier: GPL-3.0-or-later
import Pool

/// How the report writes one estimate or comparison: in a unit chosen for the numbers shown
/// (``HumanScale``), a deterministic metric as "exact" instead of a "± 0" interval, fewer than
/// ``ScenarioReport/fewReplicates`` replicates flagged, and Cohen's d "n/a (no variance)" where the
/// pooled variance is degenerate (``degenerateRelativeSD``).
enum ReportCells {
  /// The scale for `metric` over `values` (the metric's registry unit; unknown metrics stay plain).
  static func scale(_ metric: String, _ values: [Double]) -> HumanScale {
    HumanScale.choose(unit: Metric.named(metric)?.unit ?? "", values: values)
  }

  /// A table cell in scale `s` (the unit is in the table's heading): `exact: 161.8 (all 3 replicates)`,
  /// `81 (1 replicate)`, or the mean ± the 95 % half-width.
  static func estimate(_ e: ScenarioReport.Estimate, _ s: HumanScale) -> String {
    let s = s.bare
    if e.n <= 1 { return "\(s.text(e.mean)) (1 replicate)" }
    if e.constant { return "exact: \(s.text(e.mean)) (all \(e.n) replicates)" }
    return "\(s.text(e.mean)) ± \(s.text(e.halfWidth))"
  }

  /// The replicate count, flagged below ``ScenarioReport/fewReplicates``.
  static func count(_ n: Int) -> String { n < ScenarioReport.fewReplicates ? "\(n) (< 5)" : "\(n)" }

  /// Beyond this |d| the replicates' spread is negligible next to the difference and d's size says
  /// nothing more (the conventional readings stop at 0.8; 718 was printed for a 0.3 µs spread).
  static let largeEffect = 10.0

  /// Cohen's d, or why there is none; beyond ``largeEffect`` only its sign and bound (comparison.json
  /// keeps the number).
  static func effect(_ r: PolicyComparison.Row) -> String {
    if let d = r.cohensD {
      guard abs(d) <= largeEffect else { return d > 0 ? "> 10" : "< -10" }
      return HumanScale.number(d)
    }
    return r.n >= 2 && r.baselineN >= 2 ? "n/a (no variance)" : "-"
  }

  /// A p-value as the findings quote it after "p", to two significant digits: `< 0.0001`, `= 0.0037`.
  static func p(_ p: Double) -> String { p < 0.0001 ? "< 0.0001" : "= " + twoDigits(p) }

  static func twoDigits(_ p: Double) -> String { String(format: "%.2g", p) }

  /// The smallest two-sided p the exact Mann–Whitney test can give for samples of `n` and `m`:
  /// 2 / C(n + m, n) (0.1 at 3 vs 3).
  static func smallestRankP(_ n: Int, _ m: Int) -> Double {
    var c = 1.0
    for i in 0..<min(n, m) { c = c * Double(n + m - i) / Double(i + 1) }
    return min(1, 2 / c)
  }
}

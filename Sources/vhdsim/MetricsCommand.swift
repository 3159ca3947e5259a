// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Pool

/// `vhdsim metrics`: the metric registry — every name a run can record, its unit, which way is
/// better and what it measures. `--markdown` prints docs/metrics.md.
struct MetricsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "metrics",
    abstract: "List every metric a run can produce (name, unit, direction, meaning).",
    discussion: "`vhdsim metrics --markdown > docs/metrics.md` regenerates the metrics reference.")

  @Flag(help: "Print docs/metrics.md (Markdown tables) instead of the plain list.") var markdown = false

  func run() {
    if markdown {
      print(MetricReference.markdown, terminator: "")
      return
    }
    let width = (Metric.all.map(\.name) + Metric.families.map(\.pattern)).map(\.count).max() ?? 0
    func line(_ name: String, _ unit: String, _ direction: Metric.Direction, _ summary: String) {
      let pad = String(repeating: " ", count: width - name.count)
      print("\(name)\(pad)  [\(unit); \(direction.rawValue)] \(summary)")
    }
    for scope in Metric.Scope.allCases {
      print("\(scope.title):")
      for m in Metric.all where m.scope == scope { line(m.name, m.unit, m.direction, m.summary) }
      for f in Metric.families where f.scope == scope { line(f.pattern, f.unit, f.direction, f.summary) }
    }
  }
}

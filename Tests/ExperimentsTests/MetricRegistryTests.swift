// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Pool
import Testing

/// The metric registry: names are unique, every metric a run records is in it, and docs/metrics.md is
/// exactly what the registry generates.
@Suite struct MetricRegistryTests {
  @Test func namesAreUniqueAndFamiliesDoNotOverlapThem() {
    let names = Metric.all.map(\.name)
    #expect(Set(names).count == names.count)
    for f in Metric.families { #expect(!names.contains { f.parameterValue(of: $0) != nil }, "\(f.pattern)") }
    #expect(Metric.named("bitmap_lookups_per_request_level_3")?.unit == "per request")
    #expect(Metric.named("bitmap_lookups_per_request_level_03") == nil)
    #expect(Metric.named("iops") == .iops)
    #expect(Metric.named("no_such_metric") == nil)
  }

  @Test func everyRecordedMetricIsRegistered() throws {
    // Plain and managed runs with snapshot-coalesce iterations (the `sc_*` fit) and a consistency check.
    let scenarios = [
      ManagedScenarioTests.thread.replacingOccurrences(
        of: "leaf_coalesce: mirror", with: "leaf_coalesce: sm"),
      Fixture.yaml,
      """
      name: check
      duration: 2
      device: memory
      consistency_check: true
      chain: {depth: 1, size_mib: 64}
      vms: [{workload: {read_fraction: 0.2, iodepth: 2}}]
      """,
    ]
    var seen = Set<String>()
    for yaml in scenarios {
      let (_, outcomes) = try ManagedScenarioTests.outcomes(yaml, file: "m.yaml")
      for o in outcomes { seen.formUnion(o.metrics.values.keys) }
    }
    for name in seen.sorted() { #expect(Metric.named(name) != nil, "\(name) is not in the registry") }
    #expect(seen.contains(Metric.gcBytesCopied.name) && seen.contains(Metric.consistent.name))
  }

  /// Regenerate with `vhdsim metrics --markdown > docs/metrics.md`.
  @Test func docsMetricsIsGenerated() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let committed = try String(contentsOf: root.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
    #expect(
      committed == MetricReference.markdown,
      "docs/metrics.md is stale: run `vhdsim metrics --markdown > docs/metrics.md`")
  }
}

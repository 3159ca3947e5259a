// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Testing

/// Sharded runs merge into exactly what an unsharded run writes, and merges of the wrong slices fail
/// with errors that say which.
@Suite struct ShardMergeTests {
  static let outputs = [
    "summary.json", "runs.csv", "timeseries.csv", "comparison.json", "report.md", "report.html", "shard.json",
    "scenario.yaml", "records/metrics.csv", "records/series.csv", "records/latency.csv", "records/events.csv",
  ]

  /// Records the three shards of the fixture into `root/shard-I-of-3`; returns their directories.
  static func shards(_ plan: RunPlan, into root: String) throws -> [String] {
    try (0..<3).map { i in
      let dir = (root as NSString).appendingPathComponent("shard-\(i)-of-3")
      try ScenarioOutputs.record(plan, shard: try Shard(index: i, count: 3), to: dir)
      return dir
    }
  }

  @Test func threeShardsMergeToTheUnshardedRunByteForByte() throws {
    let plan = try Fixture.plan()
    let whole = Fixture.temporaryDirectory("whole")
    let root = Fixture.temporaryDirectory("shards")
    let merged = Fixture.temporaryDirectory("merged")
    defer { for d in [whole, root, merged] { try? FileManager.default.removeItem(atPath: d) } }

    try ScenarioOutputs.record(plan, shard: .whole, to: whole)
    try ScenarioOutputs.summarize(directory: whole, gnuplot: .fromPath())
    let dirs = try Self.shards(plan, into: root)
    // Shards hold 3, 3 and 2 of the 8 runs, and nothing but records.
    #expect(
      try dirs.map { try RecordFiles.read(directory: $0).records.map(\.index) } == [
        [0, 3, 6], [1, 4, 7], [2, 5],
      ])
    #expect(
      !FileManager.default.fileExists(atPath: (dirs[0] as NSString).appendingPathComponent("summary.json")))
    // Merge in a scrambled order: the result must not depend on it.
    let parts = try [dirs[2], dirs[0], dirs[1]].map { try RecordFiles.read(directory: $0) }
    try ScenarioOutputs.write(try RunSet.merge(parts), to: merged, gnuplot: .fromPath())

    for name in Self.outputs {
      let a = try Fixture.read(whole, name)
      let b = try Fixture.read(merged, name)
      #expect(Fixture.firstDifference(a, b) == nil, "\(name) differs")
    }
    let plots = try FileManager.default.contentsOfDirectory(
      atPath: (whole as NSString).appendingPathComponent("plots"))
    for svg in plots.filter({ $0.hasSuffix(".svg") }) {
      #expect(try Fixture.read(whole, "plots/" + svg) == (try Fixture.read(merged, "plots/" + svg)), "\(svg)")
    }

    // The outputs are those of 8 runs: 2 policies × 2 depths × 2 replicates.
    let runs = try Fixture.read(whole, "runs.csv").split(separator: "\n").dropFirst()
    let runKeys = Set(runs.map { $0.split(separator: ",").prefix(4).joined(separator: ",") })
    #expect(runKeys.count == 8)
    #expect(runKeys.contains("shardy,batmap-off,chain.depth=3,1"))
    let series = try Fixture.read(whole, "timeseries.csv").split(separator: "\n")
    #expect(series.first == "scenario,run,policy,sweep,replicate,time_s,series,value")
    #expect(
      Set(series.dropFirst().map { $0.split(separator: ",")[6] }) == [
        "chain_depth", "allocated_bytes", "completed_requests",
      ])
  }

  /// Shards split units (one SR of one run), so a run's SRs land in different shards; the merge
  /// combines them by the code the unsharded run uses and every file comes out the same.
  @Test func threeShardsOfATwoSRRunMergeToTheUnshardedRunByteForByte() throws {
    let plan = try FleetFixture.plan()
    let whole = Fixture.temporaryDirectory("fleet-whole")
    let root = Fixture.temporaryDirectory("fleet-shards")
    let merged = Fixture.temporaryDirectory("fleet-merged")
    defer { for d in [whole, root, merged] { try? FileManager.default.removeItem(atPath: d) } }

    try ScenarioOutputs.record(plan, shard: .whole, to: whole)
    try ScenarioOutputs.summarize(directory: whole, gnuplot: .fromPath())
    let dirs = try Self.shards(plan, into: root)
    // 2 policies × 2 SRs = 4 units: SR 0 and SR 1 of run 0 go to shards 0 and 1.
    #expect(
      try dirs.map { try RecordFiles.read(directory: $0).records.map(\.index) } == [[0, 3], [1], [2]])
    let parts = try [dirs[1], dirs[2], dirs[0]].map { try RecordFiles.read(directory: $0) }
    let set = try RunSet.merge(parts)
    #expect(set.units.count == 4 && set.records.count == 2)
    // Without shard 1 one unit (one SR of a run) is missing, and the error says so in those words.
    #expect {
      try RunSet.merge([parts[1], parts[2]])
    } throws: { e in
      guard let e = e as? MergeError, case .missingRuns(1, 4, let first, "unit") = e else { return false }
      return first.count == 1
        && e.description.hasPrefix("merge: 1 of 4 units (one SR of a run each) are missing")
    }
    try ScenarioOutputs.write(set, to: merged, gnuplot: .fromPath())
    for name in Self.outputs {
      let a = try Fixture.read(whole, name)
      #expect(Fixture.firstDifference(a, try Fixture.read(merged, name)) == nil, "\(name) differs")
    }
    // runs.csv has the 2 runs, not the 4 units; the per-VDI series carry the run-wide VM index.
    let runs = try Fixture.read(whole, "runs.csv").split(separator: "\n").dropFirst()
    #expect(Set(runs.map { $0.split(separator: ",").prefix(4).joined(separator: ",") }).count == 2)
    let series = Set(
      try Fixture.read(whole, "timeseries.csv").split(separator: "\n").dropFirst().map {
        String($0.split(separator: ",")[6])
      })
    #expect(series.isSuperset(of: ["vdi0_chain_depth", "vdi1_chain_depth", "vdi2_chain_depth"]))
  }

  @Test func unshardedOutputsDoNotDependOnJobs() throws {
    let one = Fixture.temporaryDirectory("jobs1")
    let two = Fixture.temporaryDirectory("jobs2")
    defer { for d in [one, two] { try? FileManager.default.removeItem(atPath: d) } }
    let p1 = try RunPlan(source: Fixture.yaml, file: "shardy.yaml", options: .init(jobs: 1))
    let p2 = try RunPlan(source: Fixture.yaml, file: "shardy.yaml", options: .init(jobs: 2))
    #expect(p1.digest == p2.digest)
    for (p, d) in [(p1, one), (p2, two)] {
      try ScenarioOutputs.record(p, shard: .whole, to: d)
      try ScenarioOutputs.summarize(directory: d, gnuplot: nil)
    }
    for name in ["summary.json", "runs.csv", "timeseries.csv", "records/metrics.csv"] {
      #expect(
        Fixture.firstDifference(try Fixture.read(one, name), try Fixture.read(two, name)) == nil, "\(name)")
    }
  }

  @Test func refusesDuplicateMissingAndForeignShards() throws {
    let plan = try Fixture.plan()
    let root = Fixture.temporaryDirectory("bad-merge")
    defer { try? FileManager.default.removeItem(atPath: root) }
    let dirs = try Self.shards(plan, into: root)
    let parts = try dirs.map { try RecordFiles.read(directory: $0) }

    #expect(
      throws: MergeError.duplicateRun(
        index: 0, label: "batmap-on/chain.depth=2/r0", first: dirs[0], second: dirs[0])
    ) {
      try RunSet.merge([parts[0], parts[0], parts[1], parts[2]])
    }
    #expect(
      throws: MergeError.missingRuns(
        count: 2, total: 8, first: ["batmap-on/chain.depth=3/r0", "batmap-off/chain.depth=2/r1"])
    ) { try RunSet.merge([parts[0], parts[1]]) }
    #expect(throws: MergeError.noInput) { try RunSet.merge([]) }

    // A shard of the same file run with another seed is another study.
    let other = (root as NSString).appendingPathComponent("other")
    let otherPlan = try Fixture.plan(seed: 10)
    try ScenarioOutputs.record(otherPlan, shard: try Shard(index: 0, count: 3), to: other)
    let foreign = try RecordFiles.read(directory: other)
    #expect(
      throws: MergeError.differentScenario(
        first: dirs[1], firstDigest: plan.digest, other: other, otherDigest: otherPlan.digest)
    ) { try RunSet.merge([parts[1], parts[2], foreign]) }
  }

  @Test func refusesEditedOrDamagedRecords() throws {
    let plan = try Fixture.plan()
    let dir = Fixture.temporaryDirectory("damaged")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try ScenarioOutputs.record(plan, shard: try Shard(index: 1, count: 3), to: dir)

    let metrics = (dir as NSString).appendingPathComponent("records/metrics.csv")
    let good = try String(contentsOfFile: metrics, encoding: .utf8)
    var lines = good.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    lines[2] = "1,iops,fast"
    try lines.joined(separator: "\n").write(toFile: metrics, atomically: true, encoding: .utf8)
    #expect(throws: RecordError(file: metrics, line: 3, message: "value: expected a number, found \"fast\""))
    {
      try RecordFiles.read(directory: dir)
    }
    lines[2] = "2,iops,1"
    try lines.joined(separator: "\n").write(toFile: metrics, atomically: true, encoding: .utf8)
    #expect(
      throws: RecordError(file: metrics, line: 3, message: "run 2 is not one of the runs shard.json lists")
    ) {
      try RecordFiles.read(directory: dir)
    }
    try good.write(toFile: metrics, atomically: true, encoding: .utf8)
    #expect(try RecordFiles.read(directory: dir).records.count == 3)

    // Editing the scenario after the run breaks the digest.
    let scenario = (dir as NSString).appendingPathComponent("scenario.yaml")
    try Fixture.yaml.replacingOccurrences(of: "seed: 9", with: "seed: 8").write(
      toFile: scenario, atomically: true, encoding: .utf8)
    #expect(throws: RecordError.self) { try RecordFiles.read(directory: dir) }
    let missing = (dir as NSString).appendingPathComponent("nothing-here")
    #expect(throws: RecordError.self) { try RecordFiles.read(directory: missing) }
  }

  @Test func recordsAreLossless() throws {
    let plan = try Fixture.plan()
    let dir = Fixture.temporaryDirectory("lossless")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let awkward: [Double] = [
      0.1 + 0.2, 1e-300, Double.leastNonzeroMagnitude, -0.0, .infinity, -.infinity, 123_456_789.123_456_79,
      Double.pi / 3,
      Double.greatestFiniteMagnitude, 1.0 / 3.0,
    ]
    let records = plan.runs.indices.map { i in
      RunRecord(
        index: i, seed: plan.runs[i].seed,
        metrics: awkward.enumerated().map { .init("m\($0)", $1 * Double(i + 1)) } + [
          .init("not_a_number", .nan)
        ],
        series: [.init("s", time: 0.1 * Double(i), value: 1.0 / 7.0)],
        latency: [.init("all", bucket: 40 + i, count: UInt64.max - UInt64(i))],
        events: [TimelineEvent(kind: "coalesce", lane: "vdi0", start: 0.3, end: 0.7 + Double(i))])
    }
    try RecordFiles.write(plan: plan, shard: .whole, records: records.reversed(), to: dir)
    let back = try RecordFiles.read(directory: dir).records
    #expect(back.count == records.count)
    for (a, b) in zip(records, back) {
      #expect(a.metrics.map(\.name) == b.metrics.map(\.name))
      #expect(a.metrics.map(\.value.bitPattern) == b.metrics.map(\.value.bitPattern))
      #expect(a.series == b.series && a.latency == b.latency && a.events == b.events)
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// Every run of a scenario, each exactly once: what summaries, comparisons and reports are computed
/// from. Made by merging one or more records directories (an unsharded run is the merge of one).
public struct RunSet: Sendable {
  public let plan: RunPlan
  /// In run order, `records[k].index == k`.
  public let records: [RunRecord]

  /// Checks that `records` hold every run of `plan` once, with the seeds the plan gives them.
  public init(plan: RunPlan, records: [RunRecord], directory: String = "") throws(MergeError) {
    let runs = plan.runs
    var slots: [RunRecord?] = Array(repeating: nil, count: runs.count)
    for r in records {
      guard runs.indices.contains(r.index) else {
        throw .foreignRun(
          directory: directory, index: r.index, message: "the scenario has \(runs.count) runs")
      }
      guard r.seed == runs[r.index].seed else {
        throw .foreignRun(
          directory: directory, index: r.index,
          message: "seed \(r.seed), but the scenario gives \(runs[r.index].label) seed \(runs[r.index].seed)")
      }
      guard slots[r.index] == nil else {
        throw .duplicateRun(index: r.index, label: runs[r.index].label, first: directory, second: directory)
      }
      slots[r.index] = r
    }
    let missing = slots.indices.filter { slots[$0] == nil }
    guard missing.isEmpty else {
      throw .missingRuns(
        count: missing.count, total: runs.count, first: missing.prefix(5).map { runs[$0].label })
    }
    self.plan = plan
    self.records = slots.compactMap { $0 }
  }

  /// Combines slices of one study (same digest), refusing duplicates and gaps.
  public static func merge(_ parts: [ShardRecords]) throws(MergeError) -> RunSet {
    guard let first = parts.first else { throw .noInput }
    var owner: [Int: String] = [:]
    var all: [RunRecord] = []
    for part in parts {
      guard part.plan.digest == first.plan.digest else {
        throw .differentScenario(
          first: first.directory, firstDigest: first.plan.digest, other: part.directory,
          otherDigest: part.plan.digest)
      }
      for r in part.records {
        if let previous = owner[r.index] {
          throw .duplicateRun(
            index: r.index, label: first.plan.runs[r.index].label, first: previous, second: part.directory)
        }
        owner[r.index] = part.directory
        all.append(r)
      }
    }
    return try RunSet(plan: first.plan, records: all, directory: first.directory)
  }

  public var scenario: Scenario { plan.scenario }
  public var runs: [ScenarioRun] { plan.runs }
}

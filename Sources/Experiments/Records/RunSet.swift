// SPDX-License-Identifier: GPL-3.0-or-later

/// Every run of a scenario, each exactly once: what summaries, comparisons and reports are computed
/// from. Made by merging one or more records directories (an unsharded run is the merge of one). Records
/// are kept per unit (one SR of a run, ``ScenarioRunner/units``); the runs' records are their units'
/// combined by ``SRAggregation`` — the same code whether the units came from one process or many.
public struct RunSet: Sendable {
  public let plan: RunPlan
  /// In run order, `records[k].index == k`: each run's units combined.
  public let records: [RunRecord]
  /// In unit order, `units[u].index == u` (with one SR per run, the same as ``records``).
  public let units: [RunRecord]

  /// Checks that `records` hold every unit of `plan` once (with one SR per run: every run), with the
  /// seeds the plan gives them, then combines each run's units.
  public init(plan: RunPlan, records: [RunRecord], directory: String = "") throws(MergeError) {
    let units = plan.units
    var slots: [RunRecord?] = Array(repeating: nil, count: units.count)
    for r in records {
      guard units.indices.contains(r.index) else {
        throw .foreignRun(
          directory: directory, index: r.index, message: "the scenario has \(units.count) units")
      }
      guard r.seed == units[r.index].seed else {
        throw .foreignRun(
          directory: directory, index: r.index,
          message:
            "seed \(r.seed), but the scenario gives \(units[r.index].label) seed \(units[r.index].seed)")
      }
      guard slots[r.index] == nil else {
        throw .duplicateRun(
          index: r.index, label: units[r.index].label, first: directory, second: directory,
          unit: plan.unitNoun)
      }
      slots[r.index] = r
    }
    let missing = slots.indices.filter { slots[$0] == nil }
    guard missing.isEmpty else {
      throw .missingRuns(
        count: missing.count, total: units.count, first: missing.prefix(5).map { units[$0].label },
        unit: plan.unitNoun)
    }
    let all = slots.compactMap { $0 }
    let n = plan.runner.srCount
    self.plan = plan
    self.units = all
    self.records = plan.runs.indices.map { k in
      SRAggregation.run(
        index: k, seed: plan.runs[k].seed, records: Array(all[k * n..<(k + 1) * n]),
        units: Array(units[k * n..<(k + 1) * n]))
    }
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
            index: r.index, label: first.plan.units[r.index].label, first: previous, second: part.directory,
            unit: first.plan.unitNoun)
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

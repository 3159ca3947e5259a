// SPDX-License-Identifier: GPL-3.0-or-later

/// The documented reduced variant of a scenario that `--quick` runs (`quick` section): shorter, fewer
/// replicates, fewer VMs, a smaller snapshot plan or sweep — the same study at a smaller scale, so a
/// first look (and CI) costs seconds. Without a `quick` section `--quick` divides durations by 10 and
/// keeps at most 3 replicates.
public struct QuickVariant: Equatable, Sendable {
  public var duration: Double?
  public var replicates: Int?
  /// Replaces the count of every VM group.
  public var vmCount: Int?
  public var snapshots: SnapshotPlan?
  public var sweep: Sweep?

  static let keys = ["duration", "replicates", "vm_count", "snapshots", "sweep"]

  static func decode(_ r: NodeReader) throws(ScenarioError) -> QuickVariant {
    let map = try r.mapping(allowed: keys)
    var q = QuickVariant()
    if let d = map["duration"] { q.duration = try ScenarioParameter.duration.decode(d).number }
    q.replicates = try map["replicates"]?.int(in: Scenario.replicateRange)
    q.vmCount = try map["vm_count"]?.int(in: 1...1024, "a number of VMs")
    q.snapshots = try map["snapshots"].map { (s) throws(ScenarioError) in try SnapshotPlan.decode(s) }
    q.sweep = try map["sweep"].map { (s) throws(ScenarioError) in try Sweep.decode(s) }
    return q
  }
}

extension ScenarioValue {
  /// The value of a `.number` (or `.integer`) setting.
  var number: Double? {
    switch self {
    case .number(let v): v
    case .integer(let v): Double(v)
    default: nil
    }
  }
}

extension Scenario {
  /// Applies a reduced variant in place.
  mutating func apply(_ q: QuickVariant) {
    if let d = q.duration { base.duration = d }
    if let r = q.replicates { replicates = r }
    if let n = q.vmCount { for i in vms.indices { vms[i].count = n } }
    if let s = q.snapshots { snapshots = s }
    if let s = q.sweep { sweep = s }
  }
}

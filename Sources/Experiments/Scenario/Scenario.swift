// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import Workloads
import Yams

/// A scenario file: the system, the guests, the designs to compare (policies), the grid to cover
/// (sweep) and how many independent replicates of each. It is the unit a study is written, reviewed
/// and rerun as, so it is decoded strictly: anything the simulator would not do exactly as written is
/// an error with a position, never a silent default. See docs/scenarios.md for every key.
public struct Scenario: Equatable, Sendable {
  public var file: String
  public var name: String
  public var description: String
  /// The base seed; every run's seed derives from it, the scenario's name, the policy and the
  /// replicate (``seed(policy:replicate:)``).
  public var seed: UInt64
  public var replicates: Int
  /// The settings before any policy or sweep point is applied.
  public var base: ScenarioSettings
  /// Plain, managed-SR or consistency-check runs.
  public var kind: Kind
  public var vms: [VMGroup]
  /// At least one: a scenario without `policies` has the single policy ``Policy/defaultName``.
  public var policies: [Policy]
  public var sweep: Sweep
  /// Snapshots and deletes the SR performs while the guests run (`snapshots` section).
  public var snapshots: SnapshotPlan?
  /// The documented reduced variant `--quick` runs (`quick` section); nil: the default reduction.
  public var quick: QuickVariant?
  /// The warm-up every run cuts before measuring (`warmup`; default MSER-5).
  public var warmup: WarmupRule = WarmupRule.scenarioDefault
  /// The question the report answers and what it leads with (`report` section); nil: generic order.
  public var report: ReportSpec?
  /// Where each base setting was written (absent: the default).
  var basePositions: [ScenarioParameter: SourcePosition]

  public static let replicateRange = 1...1000
  /// `sr.count`: SRs per managed-SR run.
  public static let srCountRange = 1...1000

  /// `policies × sweep points × replicates`.
  public var runCount: Int { policies.count * sweep.pointCount * replicates }

  // MARK: Loading

  /// Reads and decodes the file at `path`; errors name `path`.
  public static func load(path: String) throws(ScenarioError) -> Scenario {
    try parse(yaml: try readText(path: path), file: path)
  }

  /// The file's text; a missing file, a folder or an unreadable file is said as such, not taken
  /// for a text encoding problem.
  public static func readText(path: String) throws(ScenarioError) -> String {
    func fail(_ message: String) -> ScenarioError {
      ScenarioError(file: path, line: 1, column: 1, message: message)
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw fail("no such file")
    }
    if isDirectory.boolValue { throw fail("is a folder, not a scenario file") }
    guard FileManager.default.isReadableFile(atPath: path) else { throw fail("permission denied") }
    do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
      throw fail("cannot read the file as UTF-8 text")
    }
  }

  /// Decodes scenario text; `file` is only used to name the source in errors.
  public static func parse(yaml: String, file: String = "<scenario>") throws(ScenarioError) -> Scenario {
    let root: Node?
    do { root = try Yams.compose(yaml: yaml) } catch let e as YamlError {
      throw syntaxError(e, file: file)
    } catch {
      throw ScenarioError(file: file, line: 1, column: 1, message: "bad YAML: \(error)")
    }
    guard let root else {
      throw ScenarioError(
        file: file, line: 1, column: 1, message: "expected a mapping of scenario keys, found an empty file")
    }
    return try decode(NodeReader(file: file, node: root, path: ""))
  }

  /// libyaml's own message at its own position (the scanner and parser know better than we do).
  static func syntaxError(_ e: YamlError, file: String) -> ScenarioError {
    switch e {
    case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
      .composer(let context, let problem, let mark, _):
      let while_ = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
      return ScenarioError(
        file: file, line: mark.line, column: mark.column, message: "bad YAML: \(problem)\(while_)")
    case .reader(let problem, _, _, _):
      return ScenarioError(file: file, line: 1, column: 1, message: "bad YAML: \(problem)")
    default:
      return ScenarioError(file: file, line: 1, column: 1, message: "bad YAML: \(e)")
    }
  }

  // MARK: Decoding

  static let topKeys = [
    "name", "description", "seed", "replicates", "duration", "sr", "disk", "device", "consistency_check",
    "chain", "engine", "vms", "policies", "sweep", "gc", "pool", "snapshots", "quick",
    "warmup", "report", "resolution", "epoch",
  ]

  /// Scenario and policy names end up in seeds and, later, in file names: letters, digits, `.`, `_`, `-`.
  static func identifier(_ r: NodeReader) throws(ScenarioError) -> String {
    let s = try r.string()
    let ok = s.unicodeScalars.allSatisfy { c in
      c.isASCII && (CharacterSet.alphanumerics.contains(c) || c == "." || c == "_" || c == "-")
    }
    guard !s.isEmpty, ok, s.first != "." && s.first != "-" else {
      throw r.error(
        "\(r.path): expected a name of ASCII letters, digits, '.', '_' and '-' "
          + "(not starting with '.' or '-'), found \(r.found)"
      )
    }
    return s
  }

  static func decode(_ r: NodeReader) throws(ScenarioError) -> Scenario {
    let map = try r.mapping(allowed: topKeys)
    let name = try identifier(try map.required("name"))
    let description = try map["description"]?.string() ?? ""
    let seed = try map["seed"]?.uint64() ?? 1
    let replicates = try map["replicates"]?.int(in: replicateRange) ?? 1
    let consistencyCheck = try map["consistency_check"]?.bool() ?? false

    var base = ScenarioSettings()
    var positions: [ScenarioParameter: SourcePosition] = [:]
    var srCountPosition: SourcePosition?
    func set(_ p: ScenarioParameter, _ value: NodeReader?) throws(ScenarioError) {
      guard let value else { return }
      base[p] = try p.decode(value)
      positions[p] = value.position
    }
    try set(.duration, map["duration"])
    try set(.resolution, map["resolution"])
    try set(.epoch, map["epoch"])
    for p in [ScenarioParameter.sr, .disk, .device] {
      guard let v = map[p.rawValue] else { continue }
      // `sr: {kind: lvm}`, `disk: {preset: nvme}`: sections, so later keys (capacity, a custom
      // model) have a place to go.
      let inner: String = p == .sr ? "kind" : p == .disk ? "preset" : ""
      if inner.isEmpty {
        try set(p, v)
      } else if p == .sr {
        let srMap = try v.mapping(allowed: ["kind", "provisioning", "capacity_gib", "count"])
        try set(p, try srMap.required("kind"))
        try set(.srProvisioning, srMap["provisioning"])
        try set(.srCapacityGiB, srMap["capacity_gib"])
        if let count = srMap["count"] {
          base.srOptions.count = try count.int(in: srCountRange)
          srCountPosition = count.position
        }
      } else {
        // `{preset: nvme}` or `{profile: NAME|PATH}` (docs/simulation.md#disk-profiles).
        let diskMap = try v.mapping(allowed: [inner, "profile", "capacity_gib"])
        if let profile = diskMap["profile"] {
          if let both = diskMap.keyReader(inner) {
            throw both.error("disk: give preset or profile, not both")
          }
          base.diskProfile = try DiskProfileFile.resolve(
            try profile.string(), relativeTo: (r.file as NSString).deletingLastPathComponent)
        } else {
          try set(p, try diskMap.required(inner))
        }
        try set(.diskCapacityGiB, diskMap["capacity_gib"])
      }
    }
    if let gc = map["gc"] {
      let gcMap = try gc.mapping(allowed: ScenarioParameter.gcParameters.map(\.key))
      for p in ScenarioParameter.gcParameters { try set(p, gcMap[p.key]) }
    }
    if let pool = map["pool"] {
      let poolMap = try pool.mapping(allowed: [ScenarioParameter.poolHosts.key])
      try set(.poolHosts, poolMap[ScenarioParameter.poolHosts.key])
    }
    let snapshots = try map["snapshots"].map { (s) throws(ScenarioError) in try SnapshotPlan.decode(s) }
    let chain = try map.required("chain")
    let chainMap = try chain.mapping(allowed: [
      "depth", "size_mib", "base_fill", "writes_per_snapshot", "write_pattern",
    ])
    try set(.chainDepth, try chainMap.required("depth"))
    try set(.chainSizeMiB, chainMap["size_mib"])
    try set(.chainBaseFill, chainMap["base_fill"])
    try set(.chainWritesPerSnapshot, chainMap["writes_per_snapshot"])
    try set(.chainWritePattern, chainMap["write_pattern"])
    if let engine = map["engine"] {
      let engineMap = try engine.mapping(allowed: ["batmap", "bitmap_cache"])
      try set(.engineBATMap, engineMap["batmap"])
      try set(.engineBitmapCache, engineMap["bitmap_cache"])
    }

    let vmsReader = try map.required("vms")
    var vms: [VMGroup] = []
    for item in try vmsReader.sequence() { vms.append(contentsOf: try VMGroup.decode(item)) }
    guard !vms.isEmpty else {
      throw vmsReader.error("vms: expected at least one VM group, found an empty list")
    }

    var policies: [Policy] = []
    if let list = map["policies"] {
      let items = try list.sequence()
      guard !items.isEmpty else {
        throw list.error("policies: expected at least one policy, found an empty list")
      }
      for item in items {
        let policy = try Policy.decode(item)
        guard !policies.contains(where: { $0.name == policy.name }) else {
          let n = try item.mapping(allowed: Policy.keys).required("name")
          throw n.error("\(n.path): duplicate policy name \"\(policy.name)\"")
        }
        policies.append(policy)
      }
    } else {
      policies = [Policy(name: Policy.defaultName)]
    }
    let sweep = try map["sweep"].map { (s) throws(ScenarioError) in try Sweep.decode(s) } ?? Sweep()
    let quick = try map["quick"].map { (q) throws(ScenarioError) in try QuickVariant.decode(q) }
    // A consistency check takes its snapshots with the pool's own drain-and-snapshot harness (no SR).
    let managed = map["gc"] != nil || (snapshots != nil && !consistencyCheck)
    // Each plan is reported where it is written (the quick section's at its own `snapshots`).
    let quickMap = try map["quick"]?.mapping(allowed: QuickVariant.keys)
    let quickSnapshots = quickMap?["snapshots"]
    // `--quick` shrinks the study; it cannot add snapshots a full run would not take (nor make a plain
    // run managed), so a quick plan needs a scenario plan to reduce.
    if snapshots == nil, let node = quickSnapshots {
      throw node.error(
        "\(node.path): the scenario has no `snapshots` section for the quick variant to reduce")
    }
    if consistencyCheck {
      if let at = positions[.diskCapacityGiB] {
        throw ScenarioError(
          file: r.file, line: at.line, column: at.column,
          message: "disk.capacity_gib: a consistency check runs on the preset disk as it is")
      }
      if let gc = map["gc"] {
        throw gc.error(
          "gc: a consistency check runs without a managed SR; remove `gc` or `consistency_check`")
      }
      guard vms.count == 1, vms[0].count == 1 else {
        throw vmsReader.error("vms: a consistency check runs exactly one VM (one group with count: 1)")
      }
      if let n = quick?.vmCount, n != 1, let node = quickMap?["vm_count"] {
        throw node.error("\(node.path): a consistency check runs exactly one VM, found \(n)")
      }
      for (plan, node) in [(snapshots, map["snapshots"]), (quick?.snapshots, quickSnapshots)] {
        guard let plan, let node else { continue }
        if plan.backups != nil || plan.script?.deleteAllAt != nil || plan.kind != .double {
          throw node.error(
            "\(node.path): a consistency check takes the script's snapshots (no backups, deletes or kinds)")
        }
      }
    }
    if !managed, let at = srCountPosition {
      throw ScenarioError(
        file: r.file, line: at.line, column: at.column,
        message: "sr.count applies to a managed SR: add a `gc` or `snapshots` section")
    }
    if !managed {
      for p in [ScenarioParameter.srProvisioning, .srCapacityGiB] {
        if let at = positions[p] {
          throw ScenarioError(
            file: r.file, line: at.line, column: at.column,
            message: "sr.\(p.key) applies to a managed SR: add a `gc` or `snapshots` section")
        }
      }
      for policy in policies {
        if let o = policy.overrides.first(where: { ScenarioParameter.gcParameters.contains($0.parameter) }) {
          throw ScenarioError(
            file: r.file, line: o.position.line, column: o.position.column,
            message:
              "policy \"\(policy.name)\": gc settings need a managed SR (a `gc` or `snapshots` section)")
        }
      }
      // A swept managed-SR setting would change nothing in a plain run.
      let managedOnly = ScenarioParameter.gcParameters + [.srProvisioning, .srCapacityGiB]
      for (section, axes) in [("sweep", sweep.axes), ("quick.sweep", quick?.sweep?.axes ?? [])] {
        for axis in axes where managedOnly.contains(axis.parameter) {
          throw ScenarioError(
            file: r.file, line: axis.position.line, column: axis.position.column,
            message:
              "\(section): \(axis.parameter.rawValue) needs a managed SR (a `gc` or `snapshots` section)")
        }
      }
    }
    for (plan, node) in [(snapshots, map["snapshots"]), (quick?.snapshots, quickSnapshots)] {
      guard let plan, let node, plan.kind != .double else { continue }
      if plan.backups != nil || plan.script?.deleteAllAt != nil {
        throw node.error(
          "\(node.path): deleting snapshots (backups, delete_all_at) needs kind: double (single and "
            + "internal snapshots leave no snapshot VDI)")
      }
    }

    if managed {
      for i in policies.indices {
        var settings = base
        for o in policies[i].overrides { settings[o.parameter] = o.value }
        policies[i].leafCoalesce = settings.gc.design
      }
    }
    let report = try map["report"].map { (node) throws(ScenarioError) in
      try ReportSpec.decode(node, policies: policies, managed: managed, consistencyCheck: consistencyCheck)
    }
    var scenario = Scenario(
      file: r.file, name: name, description: description, seed: seed, replicates: replicates, base: base,
      kind: consistencyCheck ? .consistencyCheck : managed ? .managed : .plain, vms: vms, policies: policies,
      sweep: sweep, snapshots: snapshots, quick: quick, report: report, basePositions: positions
    )
    if let w = map["warmup"] { scenario.warmup = try WarmupRule.decode(w, duration: base.duration) }
    try scenario.checkCombinations(consistencyPosition: map["consistency_check"]?.position)
    if let quick {
      var reduced = scenario
      reduced.apply(quick)
      reduced.quick = nil
      try reduced.checkCombinations(consistencyPosition: map["consistency_check"]?.position)
      scenario.quick = quick
    }
    return scenario
  }
}

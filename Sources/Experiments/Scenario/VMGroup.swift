// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Workloads

/// `count` identical VMs, each with its own VDI and its own random streams. A group rather than one
/// entry per VM because studies scale the number of guests, not their individual settings.
public struct VMGroup: Equatable, Sendable {
  /// What each VM of the group runs.
  public enum Workload: Equatable, Sendable {
    /// The pool's built-in fio-like workload (pattern, read mix, block size, iodepth or rate).
    case builtIn(WorkloadSpec)
    /// A named generator from `Workloads` (synthetic mixes, the fragmenting writer, package installs).
    case preset(WorkloadPreset)
    /// A block trace (blkparse, fio iolog, MSR), re-timed and re-addressed onto the VM's VDI.
    case trace(TraceWorkloadSpec)
  }

  public var count: Int
  public var workload: Workload
  /// Where the group's entry starts in the file (for errors found after expansion).
  public var position: SourcePosition

  public init(count: Int, workload: Workload, position: SourcePosition = .init(line: 1, column: 1)) {
    self.count = count
    self.workload = workload
    self.position = position
  }

  static let keys = ["count", "workload"]
  static let builtInKeys = ["pattern", "read_fraction", "iodepth", "rate"] + shapeKeys

  /// Decodes one entry of `vms`: one group, or one per device of a trace with `per_device`.
  static func decode(_ r: NodeReader) throws(ScenarioError) -> [VMGroup] {
    let map = try r.mapping(allowed: keys)
    let count = try map["count"]?.int(in: 1...1024) ?? 1
    let w = try map.required("workload")
    if case .mapping(let m) = w.node, m.keys.contains(where: { $0.string == "trace" }) {
      return try decodeTrace(w, count: count, position: r.position)
    }
    return [try decodeBuiltIn(w, count: count, position: r.position)]
  }

  /// A built-in workload or a preset.
  static func decodeBuiltIn(_ w: NodeReader, count: Int, position: SourcePosition) throws(ScenarioError)
    -> VMGroup
  {
    let wmap = try w.mapping(allowed: ["preset", "trace"] + builtInKeys)
    if let preset = wmap["preset"] {
      if let extra = wmap.entries.first(where: { $0.key != "preset" }) {
        throw extra.keyReader.error(
          "\(w.path): \"\(extra.key)\" cannot be combined with \"preset\" (a preset fixes its own workload)")
      }
      let choice = try preset.choice(WorkloadPreset.self)
      return VMGroup(count: count, workload: .preset(choice), position: position)
    }
    var spec = WorkloadSpec()
    if let p = wmap["pattern"] {
      spec.pattern = try p.choice(WorkloadSpec.Pattern.self)
    }
    if let f = wmap["read_fraction"] {
      spec.readFraction = try f.double("a fraction in 0...1") { (0...1).contains($0) }
    }
    try decodeShape(wmap, at: w, into: &spec)
    switch (wmap["iodepth"], wmap["rate"]) {
    case (.some, .some):
      throw wmap.keyReader("rate")!.error(
        "\(w.path): iodepth and rate cannot both be given (a closed loop keeps iodepth requests "
          + "outstanding; an open loop arrives at rate per second)")
    case (let d?, nil): spec.arrivals = .closedLoop(ioDepth: try d.int(in: 1...4096))
    case (nil, let rate?):
      spec.arrivals = .openLoop(ratePerSecond: try rate.double("requests per second > 0") { $0 > 0 })
    case (nil, nil): break
    }
    return VMGroup(count: count, workload: .builtIn(spec), position: position)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import Simulation
import Yams

/// Disk profile files (YAML, docs/simulation.md#disk-profiles): decoding with the scenario reader's
/// strict, positioned errors, and finding a profile by name or path.
public enum DiskProfileFile {
  static let topKeys = [
    "name", "kind", "source", "capacity_bytes", "variability", "ssd", "rotating", "iscsi", "engine_cpu",
  ]
  static let ssdKeys = [
    "channels", "read_bandwidth_mb_s", "write_bandwidth_mb_s", "read", "write", "write_stall", "file_system",
    "queue_depth_scaling", "batch_scaling",
  ]
  static let rotatingKeys = [
    "rpm", "settle_us", "full_stroke_us", "transfer_mb_s", "seek_variation", "write_cache",
  ]

  /// Where a name that is neither a preset nor an existing path is looked for: `Profiles/disks/NAME.yaml`.
  public static let folder = "Profiles/disks"

  /// The profile `nameOrPath` names: a built-in preset (`nvme`, `sata7200`, `iscsi`, `sata-ssd`), a
  /// file (absolute, or relative to `base` then to the working folder), or `Profiles/disks/NAME.yaml`.
  public static func resolve(_ nameOrPath: String, relativeTo base: String? = nil) throws(ScenarioError)
    -> DiskProfile
  {
    if let preset = DiskProfile.preset(named: nameOrPath) { return preset }
    var candidates: [String] = []
    if nameOrPath.hasPrefix("/") {
      candidates = [nameOrPath]
    } else {
      if let base { candidates.append((base as NSString).appendingPathComponent(nameOrPath)) }
      candidates.append(nameOrPath)
      if !nameOrPath.contains("/") { candidates.append("\(folder)/\(nameOrPath).yaml") }
    }
    for path in candidates where FileManager.default.fileExists(atPath: path) {
      return try load(path: path)
    }
    let presets = DiskProfile.presets.map(\.name).joined(separator: ", ")
    throw ScenarioError(
      file: nameOrPath, line: 1, column: 1,
      message: "no disk profile \"\(nameOrPath)\": not a preset (\(presets)) and no file at "
        + candidates.joined(separator: ", "))
  }

  /// Reads and decodes the profile at `path`; errors name `path`.
  public static func load(path: String) throws(ScenarioError) -> DiskProfile {
    let text: String
    do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
      throw ScenarioError(file: path, line: 1, column: 1, message: "cannot read the file as UTF-8 text")
    }
    return try parse(yaml: text, file: path)
  }

  /// Decodes profile text; `file` names the source in errors and becomes the profile's path.
  public static func parse(yaml: String, file: String) throws(ScenarioError) -> DiskProfile {
    let root: Node?
    do { root = try Yams.compose(yaml: yaml) } catch let e as YamlError {
      throw Scenario.syntaxError(e, file: file)
    } catch {
      throw ScenarioError(file: file, line: 1, column: 1, message: "bad YAML: \(error)")
    }
    guard let root else {
      throw ScenarioError(
        file: file, line: 1, column: 1, message: "expected a disk profile, found an empty file")
    }
    return try decode(NodeReader(file: file, node: root, path: ""), file: file)
  }

  static func decode(_ r: NodeReader, file: String) throws(ScenarioError) -> DiskProfile {
    let map = try r.mapping(allowed: topKeys)
    let name = try Scenario.identifier(try map.required("name"))
    _ = try map["source"]?.string()
    let variability = try map["variability"]?.bool() ?? true
    let capacity = try map.required("capacity_bytes").uint64()
    let kindNode = try map.required("kind")
    let kind = try kindNode.choice([("ssd", "ssd"), ("rotating", "rotating"), ("iscsi", "iscsi")])
    guard let section = map[kind] else { throw kindNode.error("kind \(kind) needs a `\(kind)` section") }
    for other in ["ssd", "rotating", "iscsi"] where other != kind {
      if let extra = map.keyReader(other) {
        throw extra.error("a `\(other)` section does not belong to a profile of kind \(kind)")
      }
    }
    var model: any DiskModel
    switch kind {
    case "ssd": model = try ssd(section, capacity: capacity)
    case "rotating": model = try rotating(section, capacity: capacity)
    default: model = try iscsi(section, capacity: capacity)
    }
    model.capacityBytes = capacity
    var cpu = EngineCPUCost.none
    if let c = map["engine_cpu"] {
      let cm = try c.mapping(allowed: ["request_us", "level_us", "io_us", "submit_us"])
      let nonNegative = { (n: NodeReader) throws(ScenarioError) -> SimTime in
        microseconds(try n.double("a number of microseconds ≥ 0") { $0 >= 0 })
      }
      cpu = EngineCPUCost(
        perRequest: try nonNegative(try cm.required("request_us")),
        perLevel: try nonNegative(try cm.required("level_us")),
        perIO: try cm["io_us"].map(nonNegative) ?? .zero,
        perSubmit: try cm["submit_us"].map(nonNegative) ?? .zero)
    }
    return DiskProfile(name: name, path: file, model: model, variability: variability, engineCPU: cpu)
  }

  static func positive(_ r: NodeReader) throws(ScenarioError) -> Double {
    try r.double("a positive number") { $0 > 0 }
  }

  static func ssd(_ r: NodeReader, capacity: UInt64) throws(ScenarioError) -> SSDModel {
    let m = try r.mapping(allowed: ssdKeys)
    let channels = try m.required("channels").int(in: 1...65_536)
    return SSDModel(
      read: try sizeClasses(try m.required("read")), write: try sizeClasses(try m.required("write")),
      readBandwidth: try positive(try m.required("read_bandwidth_mb_s")) * 1e6,
      writeBandwidth: try positive(try m.required("write_bandwidth_mb_s")) * 1e6, channels: channels,
      capacityBytes: capacity, writeStall: try m["write_stall"].map(writeStall),
      fileSystem: try m["file_system"].map(fileSystem),
      queueDepthScaling: try m["queue_depth_scaling"].map(queueDepthScaling),
      batchScaling: try m["batch_scaling"].map(queueDepthScaling))
  }

  static func rotating(_ r: NodeReader, capacity: UInt64) throws(ScenarioError) -> RotatingDiskModel {
    let m = try r.mapping(allowed: rotatingKeys)
    var cache: RotatingDiskModel.WriteCache?
    if let c = m["write_cache"] {
      let cm = try c.mapping(allowed: ["ack_us", "interface_mb_s"])
      cache = .init(
        ackLatency: microseconds(try positive(try cm.required("ack_us"))),
        interfaceRate: try positive(try cm.required("interface_mb_s")) * 1e6)
    }
    let settle = microseconds(try positive(try m.required("settle_us")))
    let fullNode = try m.required("full_stroke_us")
    let full = microseconds(try positive(fullNode))
    guard full >= settle else { throw fullNode.error("\(fullNode.path): must be at least settle_us") }
    return RotatingDiskModel(
      rpm: try positive(try m.required("rpm")), settle: settle, fullStrokeSeek: full,
      transferRate: try positive(try m.required("transfer_mb_s")) * 1e6, capacityBytes: capacity,
      writeCache: cache,
      seekVariation: try m["seek_variation"]?.double("a number in 0...2") { (0...2).contains($0) } ?? 0)
  }

  static func iscsi(_ r: NodeReader, capacity: UInt64) throws(ScenarioError) -> ISCSIModel {
    let m = try r.mapping(allowed: ["round_trip", "link_mb_s", "backend"])
    return ISCSIModel(
      roundTrip: try distribution(try m.required("round_trip")),
      linkBandwidth: try positive(try m.required("link_mb_s")) * 1e6,
      backend: try ssd(try m.required("backend"), capacity: capacity))
  }

  static func microseconds(_ us: Double) -> SimTime { SimTime(nanoseconds: Int64((us * 1000).rounded())) }
}

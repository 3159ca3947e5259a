// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Workloads

/// `workload: {trace: FILE, …}` (docs/scenarios.md#trace-workloads): a VM group driven by a block
/// trace. The trace is read whole when the scenario is loaded, so a bad line is reported then.
extension VMGroup {
  static let traceKeys = [
    "trace", "format", "device", "per_device", "time_scale", "iodepth", "address", "offset_mib", "repeat",
    "action",
  ]

  /// The groups one trace entry makes: one, or one per device of the trace (`per_device: true`).
  static func decodeTrace(_ w: NodeReader, count: Int, position: SourcePosition) throws(ScenarioError)
    -> [VMGroup]
  {
    let map = try w.mapping(allowed: traceKeys)
    let traceNode = try map.required("trace")
    let written = try traceNode.string()
    // Relative to the scenario file, so a study and its traces move together.
    let path =
      written.hasPrefix("/")
      ? written
      : URL(fileURLWithPath: w.file).deletingLastPathComponent().appendingPathComponent(written)
        .standardizedFileURL
        .path
    let format = try map["format"].map { (f) throws(ScenarioError) in try f.choice(TraceFormat.self) }
    let action = try map["action"]?.string() ?? "Q"
    var spec: TraceWorkloadSpec
    do { spec = try TraceWorkloadSpec.scanning(path: path, format: format, action: action) } catch {
      throw traceNode.error("\(traceNode.path): \(error)")
    }
    if let t = map["time_scale"] {
      spec.timeScale = try t.double("a time scale > 0 (2: half speed)") { $0 > 0 && $0 <= 1e6 }
    }
    if let d = map["iodepth"] { spec.pacing = .closedLoop(ioDepth: try d.int(in: 1...4096)) }
    if let a = map["address"] { spec.mapping = try a.choice(TraceWorkloadSpec.AddressMapping.self) }
    if let o = map["offset_mib"] {
      if spec.mapping == .scale {
        throw o.error("\(o.path): an offset applies to address: offset or wrap, not scale")
      }
      spec.offsetSectors = UInt64(try o.int(in: 0...(1 << 21), "a number of MiB")) << 11
    }
    spec.repeats = try map["repeat"]?.bool() ?? true
    let names = spec.profile.devices.map(\.name)
    if let d = map["device"] {
      let name = try d.string()
      guard names.contains(name) else {
        throw d.error(
          "\(d.path): the trace has no device \"\(name)\"; it has \(names.joined(separator: ", "))")
      }
      spec.device = name
    }
    let perDevice = try map["per_device"]?.bool() ?? false
    guard perDevice else { return [VMGroup(count: count, workload: .trace(spec), position: position)] }
    if spec.device != nil, let k = map.keyReader("per_device") {
      throw k.error("\(w.path): per_device makes one VM per device; it cannot be combined with device")
    }
    return names.map { name in
      var s = spec
      s.device = name
      return VMGroup(count: count, workload: .trace(s), position: position)
    }
  }
}

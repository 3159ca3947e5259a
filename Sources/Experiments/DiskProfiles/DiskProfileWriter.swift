// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import Simulation

/// Writes an SSD-kind profile file (what `vhdsim disk calibrate` fits) in the format
/// `DiskProfileFile` reads, with a comment block saying where every figure came from.
public enum DiskProfileWriter {
  public static func yaml(
    name: String, source: String, comments: [String], model: SSDModel, variability: Bool = true,
    engineCPU: EngineCPUCost = .none
  ) -> String {
    var lines = comments.map { "# \($0)" }
    lines += [
      "name: \(name)",
      "kind: ssd",
      "source: \(quoted(source))",
      "capacity_bytes: \(model.capacityBytes)",
      "variability: \(variability)",
    ]
    if engineCPU != .none {
      lines.append(
        "engine_cpu: {request_us: \(number(Double(engineCPU.perRequest.nanoseconds) / 1000)), "
          + "level_us: \(number(Double(engineCPU.perLevel.nanoseconds) / 1000))"
          + (engineCPU.perIO == .zero ? "" : ", io_us: \(number(Double(engineCPU.perIO.nanoseconds) / 1000))")
          + (engineCPU.perSubmit == .zero
            ? "" : ", submit_us: \(number(Double(engineCPU.perSubmit.nanoseconds) / 1000))")
          + "}")
    }
    lines += [
      "ssd:",
      "  channels: \(model.channels)",
      "  read_bandwidth_mb_s: \(number(model.readBandwidth / 1e6))",
      "  write_bandwidth_mb_s: \(number(model.writeBandwidth / 1e6))",
    ]
    for (key, scaling) in [
      ("queue_depth_scaling", model.queueDepthScaling), ("batch_scaling", model.batchScaling),
    ] {
      guard let scaling else { continue }
      let curve = { (points: [QueueDepthScaling.Point]) in
        "[" + points.map { "[\($0.depth), \(number($0.factor))]" }.joined(separator: ", ") + "]"
      }
      let mixed =
        scaling.mixed.isEmpty
        ? ""
        : ", mixed: ["
          + scaling.mixed.map {
            "[\($0.depth), \(number($0.writeShare)), \(number($0.read)), \(number($0.write))]"
          }.joined(separator: ", ") + "]"
      lines.append("  \(key): {read: \(curve(scaling.read)), write: \(curve(scaling.write))\(mixed)}")
    }
    for (key, latency) in [("read", model.read), ("write", model.write)] {
      lines.append("  \(key):")
      lines += sizeClasses(latency, indent: "  ")
    }
    if let fs = model.fileSystem {
      lines.append("  file_system:")
      lines.append("    allocating_write:")
      lines += sizeClasses(fs.allocatingWrite, indent: "    ")
      if let submit = fs.allocatingSubmit {
        lines.append("    allocating_submit:")
        lines += sizeClasses(submit, indent: "    ")
      }
      lines.append("    punch_hole: {\(distribution(fs.punchHole))}")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static func sizeClasses(_ latency: SizeClassLatency, indent: String) -> [String] {
    latency.classes.flatMap { c in
      ["\(indent)  - size_kib: \(c.bytes >> 10)", "\(indent)    " + distribution(c.latency)]
    }
  }

  /// One distribution as a flow-style key: value.
  static func distribution(_ d: LatencyDistribution) -> String {
    switch d {
    case .constant(let ns): return "constant_us: \(number(ns / 1000))"
    case .lognormal(let median, let sigma):
      return "lognormal: {median_us: \(number(median / 1000)), sigma: \(number(sigma))}"
    case .empirical(let t):
      let pairs = zip(t.probabilities, t.nanoseconds).map { "[\(number($0)), \(number($1 / 1000))]" }
      return "quantiles_us: [\(pairs.joined(separator: ", "))]"
    }
  }

  /// Shortest decimal that reads back as the same double.
  static func number(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : "\(x)"
  }

  static func quoted(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }
}

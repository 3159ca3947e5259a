// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation

extension DiskProfileFile {
  static let distributionKeys = ["constant_us", "lognormal", "quantiles_us"]

  /// A latency distribution: exactly one of `constant_us: X`, `lognormal: {mean_us | median_us, sigma}`
  /// or `quantiles_us: [[p, µs], …]` (p from 0 to 1, rising; values not decreasing).
  static func distribution(_ r: NodeReader, extraKeys: [String] = []) throws(ScenarioError)
    -> LatencyDistribution
  {
    let m = try r.mapping(allowed: distributionKeys + extraKeys)
    let given = distributionKeys.filter { m[$0] != nil }
    guard given.count == 1 else {
      throw r.error("\(r.path): expected exactly one of \(distributionKeys.joined(separator: ", "))")
    }
    if let c = m["constant_us"] {
      return .constant(nanoseconds: try c.double("a number ≥ 0") { $0 >= 0 } * 1000)
    }
    if let l = m["lognormal"] {
      let lm = try l.mapping(allowed: ["mean_us", "median_us", "sigma"])
      let sigma = try lm.required("sigma").double("a number in 0...5") { (0...5).contains($0) }
      switch (lm["mean_us"], lm["median_us"]) {
      case (let mean?, nil):
        return .lognormal(mean: microseconds(try positive(mean)), sigma: sigma)
      case (nil, let median?):
        return .lognormal(median: try positive(median) * 1000, sigma: sigma)
      default: throw l.error("\(l.path): expected exactly one of mean_us, median_us")
      }
    }
    let q = try m.required("quantiles_us")
    var ps: [Double] = []
    var values: [Double] = []
    for pair in try q.sequence() {
      let items = try pair.sequence()
      guard items.count == 2 else { throw pair.error("\(pair.path): expected [probability, microseconds]") }
      ps.append(try items[0].double("a probability in 0...1") { (0...1).contains($0) })
      values.append(try items[1].double("a number ≥ 0") { $0 >= 0 } * 1000)
    }
    do { return .empirical(try QuantileTable(probabilities: ps, nanoseconds: values)) } catch {
      throw q.error("\(q.path): \(error)")
    }
  }

  /// `[{size_kib: K, <distribution>}, …]`: one distribution per size class.
  static func sizeClasses(_ r: NodeReader) throws(ScenarioError) -> SizeClassLatency {
    var classes: [SizeClassLatency.SizeClass] = []
    for item in try r.sequence() {
      let m = try item.mapping(allowed: ["size_kib"] + distributionKeys)
      let kib = try m.required("size_kib").int(in: 1...1_048_576)
      classes.append(
        .init(bytes: UInt64(kib) << 10, latency: try distribution(item, extraKeys: ["size_kib"])))
    }
    guard let latency = SizeClassLatency(classes) else {
      throw r.error("\(r.path): expected at least one size class, each size_kib once")
    }
    return latency
  }

  /// `{allocating_write: [size classes], allocating_submit: [size classes] (optional), punch_hole:
  /// <distribution>}`.
  static func fileSystem(_ r: NodeReader) throws(ScenarioError) -> FileSystemAllocation {
    let m = try r.mapping(allowed: ["allocating_write", "allocating_submit", "punch_hole"])
    return FileSystemAllocation(
      allocatingWrite: try sizeClasses(try m.required("allocating_write")),
      allocatingSubmit: try m["allocating_submit"].map(sizeClasses),
      punchHole: try distribution(try m.required("punch_hole")))
  }

  /// `{probability: P, <distribution>}`.
  static func writeStall(_ r: NodeReader) throws(ScenarioError) -> WriteStall {
    let m = try r.mapping(allowed: ["probability"] + distributionKeys)
    return WriteStall(
      probability: try m.required("probability").double("a probability in 0...1") { (0...1).contains($0) },
      duration: try distribution(r, extraKeys: ["probability"]))
  }

  /// `{read: [[depth, factor], …], write: [[depth, factor], …], mixed: [[depth, write_share,
  /// read_factor, write_factor], …]}`: each curve from `[1, 1]`, depths rising; `mixed` optional,
  /// its depths above 1 and rising (docs/simulation.md#queue-depth-scaling).
  static func queueDepthScaling(_ r: NodeReader) throws(ScenarioError) -> QueueDepthScaling {
    let m = try r.mapping(allowed: ["read", "write", "mixed"])
    func curve(_ key: String) throws(ScenarioError) -> [QueueDepthScaling.Point] {
      var points: [QueueDepthScaling.Point] = []
      for pair in try m.required(key).sequence() {
        let items = try pair.sequence()
        guard items.count == 2 else { throw pair.error("\(pair.path): expected [depth, factor]") }
        points.append(
          .init(
            depth: try items[0].int(in: 1...65_536),
            factor: try items[1].double("a positive number") { $0 > 0 && $0.isFinite }))
      }
      return points
    }
    var mixed: [QueueDepthScaling.MixedPoint] = []
    for row in try m["mixed"]?.sequence() ?? [] {
      let items = try row.sequence()
      guard items.count == 4 else {
        throw row.error("\(row.path): expected [depth, write_share, read_factor, write_factor]")
      }
      let factor = { (n: NodeReader) throws(ScenarioError) in
        try n.double("a positive number") { $0 > 0 && $0.isFinite }
      }
      mixed.append(
        .init(
          depth: try items[0].int(in: 2...65_536),
          writeShare: try items[1].double("a share strictly between 0 and 1") { $0 > 0 && $0 < 1 },
          read: try factor(items[2]), write: try factor(items[3])))
    }
    guard let scaling = QueueDepthScaling(read: try curve("read"), write: try curve("write"), mixed: mixed)
    else {
      throw r.error("\(r.path): each curve starts at [1, 1] and its depths rise")
    }
    return scaling
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// One case of `vhdsim validate` as its JSON prints it (the field names), with the two latency
/// samples kept for the report's CDFs.
public struct ValidationCase: Encodable, Sendable {
  public var depth: Int
  public var iodepth: Int
  public var readFraction: Double
  public var requests: Int
  public var iopsReal: Double
  public var iopsSimulated: Double
  public var p50RealUs: Double
  public var p50SimulatedUs: Double
  public var p99RealUs: Double
  public var p99SimulatedUs: Double
  public var demeritUs: Double
  public var demeritPercent: Double
  public var physicalIOsPerRequestReal: Double
  public var physicalIOsPerRequestSimulated: Double
  /// Both latency samples (not encoded).
  public var samples = ValidationSamples(realNs: [], simulatedNs: [])

  enum CodingKeys: String, CodingKey {
    case depth, iodepth, requests
    case readFraction = "read_fraction"
    case iopsReal = "iops_real"
    case iopsSimulated = "iops_simulated"
    case p50RealUs = "p50_real_us"
    case p50SimulatedUs = "p50_simulated_us"
    case p99RealUs = "p99_real_us"
    case p99SimulatedUs = "p99_simulated_us"
    case demeritUs = "demerit_us"
    case demeritPercent = "demerit_percent"
    case physicalIOsPerRequestReal = "physical_ios_per_request_real"
    case physicalIOsPerRequestSimulated = "physical_ios_per_request_simulated"
    case classes
  }

  /// The fields, then `classes` (from `samples`).
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(depth, forKey: .depth)
    try c.encode(iodepth, forKey: .iodepth)
    try c.encode(readFraction, forKey: .readFraction)
    try c.encode(requests, forKey: .requests)
    try c.encode(iopsReal, forKey: .iopsReal)
    try c.encode(iopsSimulated, forKey: .iopsSimulated)
    try c.encode(p50RealUs, forKey: .p50RealUs)
    try c.encode(p50SimulatedUs, forKey: .p50SimulatedUs)
    try c.encode(p99RealUs, forKey: .p99RealUs)
    try c.encode(p99SimulatedUs, forKey: .p99SimulatedUs)
    try c.encode(demeritUs, forKey: .demeritUs)
    try c.encode(demeritPercent, forKey: .demeritPercent)
    try c.encode(physicalIOsPerRequestReal, forKey: .physicalIOsPerRequestReal)
    try c.encode(physicalIOsPerRequestSimulated, forKey: .physicalIOsPerRequestSimulated)
    try c.encode(samples.classes, forKey: .classes)
  }

  /// The IOPS ratio simulated / real.
  public var iopsRatio: Double { iopsSimulated / Swift.max(1e-9, iopsReal) }
}

/// The two response-time samples of a case, sorted, in nanoseconds, and its requests by class.
public struct ValidationSamples: Sendable {
  public var realNs: [Double]
  public var simulatedNs: [Double]
  /// The requests by class (read or write × physical I/Os), each side's count and latency.
  public var classes: [RequestClassComparison] = []

  public init(realNs: [Double], simulatedNs: [Double], classes: [RequestClassComparison] = []) {
    self.realNs = realNs
    self.simulatedNs = simulatedNs
    self.classes = classes
  }

  public var p90RealUs: Double { CDFComparison.quantile(realNs, 0.9) / 1000 }
  public var p90SimulatedUs: Double { CDFComparison.quantile(simulatedNs, 0.9) / 1000 }
}

/// Comparing two response-time samples the way DiskSim's validation did.
public enum CDFComparison {
  /// The `p`-quantile of a sorted sample (linear between order statistics).
  public static func quantile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let x = p * Double(sorted.count - 1)
    let i = Int(x.rounded(.down))
    let j = Swift.min(sorted.count - 1, i + 1)
    return sorted[i] + (x - Double(i)) * (sorted[j] - sorted[i])
  }

  /// DiskSim's demerit figure: the root-mean-square horizontal distance between the two CDFs, i.e.
  /// between their quantile functions, here over `points` evenly spaced probabilities (midpoints).
  public static func demerit(real: [Double], simulated: [Double], points: Int = 1000) -> Double {
    guard !real.isEmpty, !simulated.isEmpty else { return .nan }
    var sum = 0.0
    for k in 0..<points {
      let p = (Double(k) + 0.5) / Double(points)
      let d = quantile(simulated, p) - quantile(real, p)
      sum += d * d
    }
    return (sum / Double(points)).squareRoot()
  }
}

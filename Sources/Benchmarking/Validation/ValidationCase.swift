// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// One case of `vhdsim validate` as its JSON prints it (the field names), with the two latency
/// samples kept for the report's CDFs. With repeats the real figures are those of all real runs
/// pooled (IOPS: their median) and the real side's spread follows them; with one run the spread's
/// fields are absent, so the JSON is what it was before repeats existed.
public struct ValidationCase: Encodable, Sendable {
  public var depth: Int
  public var iodepth: Int
  public var readFraction: Double
  /// Requests per run, each side.
  public var requests: Int
  /// The real IOPS; with repeats, the median of the runs'.
  public var iopsReal: Double
  public var iopsSimulated: Double
  public var p50RealUs: Double
  public var p50SimulatedUs: Double
  public var p99RealUs: Double
  public var p99SimulatedUs: Double
  public var demeritUs: Double
  public var demeritPercent: Double
  /// What the engine and the tapdisk thread did per request, on each side.
  public var perRequest = ValidationPerRequest()
  public var physicalIOsPerRequestReal: Double { perRequest.physicalIOsReal }
  public var physicalIOsPerRequestSimulated: Double { perRequest.physicalIOsSimulated }
  public var threadCPUPerRequestRealUs: Double { perRequest.threadCPURealUs }
  public var threadCPUPerRequestSimulatedUs: Double { perRequest.threadCPUSimulatedUs }
  public var threadOccupiedPerRequestRealUs: Double { perRequest.threadOccupiedRealUs }
  public var submitPerRequestRealUs: Double { perRequest.submitRealUs }
  public var threadOccupiedPerRequestSimulatedUs: Double { perRequest.threadOccupiedSimulatedUs }
  public var submitPerRequestSimulatedUs: Double { perRequest.submitSimulatedUs }
  public var hostDiskReal: HostDiskLoad? { perRequest.hostDiskReal }
  /// Both latency samples (not encoded), the classes and the real side's spread (encoded as fields
  /// of the case).
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
    case threadCPUPerRequestRealUs = "thread_cpu_per_request_real_us"
    case threadCPUPerRequestSimulatedUs = "thread_cpu_per_request_simulated_us"
    case threadOccupiedPerRequestRealUs = "thread_occupied_per_request_real_us"
    case submitPerRequestRealUs = "submit_per_request_real_us"
    case threadOccupiedPerRequestSimulatedUs = "thread_occupied_per_request_simulated_us"
    case submitPerRequestSimulatedUs = "submit_per_request_simulated_us"
    case ioUsReal = "io_us_real"
    case ioUsSimulated = "io_us_simulated"
    case iosInFlightReal = "ios_in_flight_real"
    case iosInFlightSimulated = "ios_in_flight_simulated"
    case completionsPerCollectReal = "completions_per_collect_real"
    case completionsPerCollectSimulated = "completions_per_collect_simulated"
    case hostDiskIOsPerRequestReal = "host_disk_ios_per_request_real"
    case hostDiskMeanQueueReal = "host_disk_mean_queue_real"
    case hostDiskUsPerIOReal = "host_disk_us_per_io_real"
    case hostDiskUsPerReadReal = "host_disk_us_per_read_real"
    case hostDiskUsPerWriteReal = "host_disk_us_per_write_real"
    case classes
    case iopsWithinRealRange = "iops_within_real_range"
    case demeritWithinRealSpread = "demerit_within_real_spread"
  }

  /// The fields, the thread's processor time, the I/Os' time in flight, the host device's
  /// figures where known, then `classes` (from `samples`), then with repeats the real side's spread.
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
    try c.encode(threadCPUPerRequestRealUs, forKey: .threadCPUPerRequestRealUs)
    try c.encode(threadCPUPerRequestSimulatedUs, forKey: .threadCPUPerRequestSimulatedUs)
    try c.encode(threadOccupiedPerRequestRealUs, forKey: .threadOccupiedPerRequestRealUs)
    try c.encode(submitPerRequestRealUs, forKey: .submitPerRequestRealUs)
    try c.encode(threadOccupiedPerRequestSimulatedUs, forKey: .threadOccupiedPerRequestSimulatedUs)
    try c.encode(submitPerRequestSimulatedUs, forKey: .submitPerRequestSimulatedUs)
    try c.encode(perRequest.ioUsReal, forKey: .ioUsReal)
    try c.encode(perRequest.ioUsSimulated, forKey: .ioUsSimulated)
    try c.encode(perRequest.iosInFlightReal, forKey: .iosInFlightReal)
    try c.encode(perRequest.iosInFlightSimulated, forKey: .iosInFlightSimulated)
    try c.encode(perRequest.completionsPerCollectReal, forKey: .completionsPerCollectReal)
    try c.encode(perRequest.completionsPerCollectSimulated, forKey: .completionsPerCollectSimulated)
    try c.encodeIfPresent(hostDiskReal?.iosPerRequest, forKey: .hostDiskIOsPerRequestReal)
    try c.encodeIfPresent(hostDiskReal?.meanQueue, forKey: .hostDiskMeanQueueReal)
    try c.encodeIfPresent(hostDiskReal?.usPerIO, forKey: .hostDiskUsPerIOReal)
    try c.encodeIfPresent(hostDiskReal?.usPerRead, forKey: .hostDiskUsPerReadReal)
    try c.encodeIfPresent(hostDiskReal?.usPerWrite, forKey: .hostDiskUsPerWriteReal)
    try c.encode(samples.classes, forKey: .classes)
    // The spread's own fields (absent for one run), then the two verdicts that need the model's figures.
    try realSpread?.encode(to: encoder)
    try c.encodeIfPresent(iopsWithinRealRange, forKey: .iopsWithinRealRange)
    try c.encodeIfPresent(demeritWithinRealSpread, forKey: .demeritWithinRealSpread)
  }

  /// The IOPS ratio simulated / real.
  public var iopsRatio: Double { iopsSimulated / Swift.max(1e-9, iopsReal) }

  /// How far the real side moved over its repeats; nil for one run.
  public var realSpread: RealRunSpread? { samples.realSpread }

  /// Whether the simulated IOPS lie within the real runs' range (nil for one run).
  public var iopsWithinRealRange: Bool? { realSpread.map { $0.contains(iops: iopsSimulated) } }

  /// Whether the model's demerit is at most the real side's noise floor, i.e. the simulated CDF is no
  /// further from the pooled real one than a real run is from the others (nil for one run).
  public var demeritWithinRealSpread: Bool? { realSpread.map { demeritUs <= $0.demeritUs } }
}

/// What a case's figures were computed from, beyond the figures: the two response-time samples,
/// sorted, in nanoseconds (the real one over all runs), the requests by class, and with repeats the
/// real runs' spread.
public struct ValidationSamples: Sendable {
  public var realNs: [Double]
  public var simulatedNs: [Double]
  /// The requests by class (read or write × physical I/Os), each side's count and latency; the real
  /// counts are over all runs.
  public var classes: [RequestClassComparison] = []
  /// With two or more real runs, how far they differed.
  public var realSpread: RealRunSpread?

  public init(
    realNs: [Double], simulatedNs: [Double], classes: [RequestClassComparison] = [],
    realSpread: RealRunSpread? = nil
  ) {
    self.realNs = realNs
    self.simulatedNs = simulatedNs
    self.classes = classes
    self.realSpread = realSpread
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

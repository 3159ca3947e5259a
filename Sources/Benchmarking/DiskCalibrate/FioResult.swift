// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// What one fio job measured in one direction, from fio's JSON output (`--output-format=json`):
/// `jobs[].read|write` with `iops`, `bw_bytes` and `clat_ns` (completion latency: submission to
/// completion, what a caller waits for) with `min`, `max`, `mean` and `percentile` ("50.000000": ns).
public struct FioResult: Sendable, Equatable {
  public var jobName: String
  public var isWrite: Bool
  public var iops: Double
  public var bytesPerSecond: Double
  public var meanLatencyNs: Double
  /// (probability 0…1, ns) rising, from min (p 0) through fio's percentiles to max (p 1).
  public var latencyQuantiles: [(p: Double, ns: Double)]

  public init(
    jobName: String, isWrite: Bool, iops: Double, bytesPerSecond: Double, meanLatencyNs: Double,
    latencyQuantiles: [(p: Double, ns: Double)]
  ) {
    self.jobName = jobName
    self.isWrite = isWrite
    self.iops = iops
    self.bytesPerSecond = bytesPerSecond
    self.meanLatencyNs = meanLatencyNs
    self.latencyQuantiles = latencyQuantiles
  }

  public static func == (a: FioResult, b: FioResult) -> Bool {
    a.jobName == b.jobName && a.isWrite == b.isWrite && a.iops == b.iops
      && a.bytesPerSecond == b.bytesPerSecond
      && a.meanLatencyNs == b.meanLatencyNs && a.latencyQuantiles.map(\.p) == b.latencyQuantiles.map(\.p)
      && a.latencyQuantiles.map(\.ns) == b.latencyQuantiles.map(\.ns)
  }

  struct Document: Decodable {
    var jobs: [Job]
  }
  struct Job: Decodable {
    var jobname: String
    var error: Int
    var read: Direction
    var write: Direction
  }
  struct Direction: Decodable {
    var ioBytes: UInt64
    var bandwidth: Double
    var iops: Double
    var completionLatency: Latency
    enum CodingKeys: String, CodingKey {
      case iops
      case ioBytes = "io_bytes"
      case bandwidth = "bw_bytes"
      case completionLatency = "clat_ns"
    }
  }
  struct Latency: Decodable {
    var min: Double
    var max: Double
    var mean: Double
    var percentile: [String: Double]?
  }

  /// Every job's result in the direction that moved data (a mixed job gives both), in file order.
  /// `file` names the source in errors.
  public static func parse(json: Data, file: String) throws(CalibrationError) -> [FioResult] {
    let document: Document
    do { document = try JSONDecoder().decode(Document.self, from: json) } catch {
      throw .badFioOutput(file: file, reason: "\(error)")
    }
    var out: [FioResult] = []
    for job in document.jobs {
      guard job.error == 0 else {
        throw .fioFailed(job: job.jobname, status: Int32(job.error), message: "job error")
      }
      for (direction, isWrite) in [(job.read, false), (job.write, true)] where direction.ioBytes > 0 {
        out.append(try result(job.jobname, direction, isWrite: isWrite, file: file))
      }
    }
    guard !out.isEmpty else { throw .badFioOutput(file: file, reason: "no job moved any data") }
    return out
  }

  static func result(_ name: String, _ d: Direction, isWrite: Bool, file: String) throws(CalibrationError)
    -> FioResult
  {
    var points: [(p: Double, ns: Double)] = []
    for (key, ns) in d.completionLatency.percentile ?? [:] {
      guard let pct = Double(key), (0...100).contains(pct) else {
        throw .badFioOutput(file: file, reason: "\(name): percentile key \"\(key)\" is not a percentage")
      }
      if pct > 0 && pct < 100 { points.append((pct / 100, ns)) }
    }
    points.sort { $0.p < $1.p }
    points.insert((0, d.completionLatency.min), at: 0)
    points.append((1, Swift.max(d.completionLatency.max, points.last!.ns)))
    // fio's percentiles come from log-linear histogram bins; keep the table monotone.
    for i in 1..<points.count where points[i].ns < points[i - 1].ns { points[i].ns = points[i - 1].ns }
    return FioResult(
      jobName: name, isWrite: isWrite, iops: d.iops, bytesPerSecond: d.bandwidth,
      meanLatencyNs: d.completionLatency.mean,
      latencyQuantiles: points)
  }
}

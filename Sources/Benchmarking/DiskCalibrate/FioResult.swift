// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation

/// What one fio job measured in one direction, from fio's JSON output (`--output-format=json`):
/// `jobs[].read|write` with `iops`, `bw_bytes` and three latencies, each with `min`, `max`, `mean`, `N`
/// and, when fio was asked for them, `percentile` ("50.000000": ns):
///
/// - `lat_ns`, the total latency: from fio's submission of the I/O to its completion, submission
///   included — what a caller waits for (percentiles with `--lat_percentiles=1`);
/// - `slat_ns`, the submission latency: the time inside `io_submit` with the libaio engine, where a
///   direct write into a file hole does the file system's allocation (percentiles with
///   `--slat_percentiles=1`; synchronous engines such as psync record none, `N` 0);
/// - `clat_ns`, the completion latency: from the end of the submission to the completion, so it
///   leaves out what `io_submit` did (percentiles by default). With a synchronous engine it is the
///   whole call.
///
/// The latency the fit uses is `lat_ns` when it has percentiles, otherwise `clat_ns`: output made
/// without `--lat_percentiles`, such as the psync jobs of earlier calibrations, where fio records no
/// submission and the two means differ by tens of nanoseconds.
public struct FioResult: Sendable, Equatable {
  public var jobName: String
  public var isWrite: Bool
  public var iops: Double
  public var bytesPerSecond: Double
  /// The mean latency a caller waits for, ns: `lat_ns`'s mean (total latency), or `clat_ns`'s when
  /// `lat_ns` has no percentiles.
  public var meanLatencyNs: Double
  /// Quantiles of the same latency as `meanLatencyNs`: (probability 0…1, ns) rising, from min (p 0)
  /// through fio's percentiles to max (p 1).
  public var latencyQuantiles: [(p: Double, ns: Double)]
  /// Quantiles of the submission latency (`slat_ns`), in the same form; nil when fio reported no
  /// submission-latency percentiles (a synchronous engine, or no `--slat_percentiles=1`).
  public var submissionQuantiles: [(p: Double, ns: Double)]?
  /// The mean submission latency (`slat_ns`), ns; nil when fio recorded no submissions (`N` 0, as
  /// for synchronous engines) or the output has no `slat_ns`.
  public var meanSubmissionNs: Double?

  public init(
    jobName: String, isWrite: Bool, iops: Double, bytesPerSecond: Double, meanLatencyNs: Double,
    latencyQuantiles: [(p: Double, ns: Double)], submissionQuantiles: [(p: Double, ns: Double)]? = nil,
    meanSubmissionNs: Double? = nil
  ) {
    self.jobName = jobName
    self.isWrite = isWrite
    self.iops = iops
    self.bytesPerSecond = bytesPerSecond
    self.meanLatencyNs = meanLatencyNs
    self.latencyQuantiles = latencyQuantiles
    self.submissionQuantiles = submissionQuantiles
    self.meanSubmissionNs = meanSubmissionNs
  }

  public static func == (a: FioResult, b: FioResult) -> Bool {
    func same(_ x: [(p: Double, ns: Double)]?, _ y: [(p: Double, ns: Double)]?) -> Bool {
      x?.map(\.p) == y?.map(\.p) && x?.map(\.ns) == y?.map(\.ns)
    }
    return a.jobName == b.jobName && a.isWrite == b.isWrite && a.iops == b.iops
      && a.bytesPerSecond == b.bytesPerSecond && a.meanLatencyNs == b.meanLatencyNs
      && same(a.latencyQuantiles, b.latencyQuantiles) && same(a.submissionQuantiles, b.submissionQuantiles)
      && a.meanSubmissionNs == b.meanSubmissionNs
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
    var totalLatency: Latency?
    var submissionLatency: Latency?
    var completionLatency: Latency?
    enum CodingKeys: String, CodingKey {
      case iops
      case ioBytes = "io_bytes"
      case bandwidth = "bw_bytes"
      case totalLatency = "lat_ns"
      case submissionLatency = "slat_ns"
      case completionLatency = "clat_ns"
    }
  }
  struct Latency: Decodable {
    var min: Double
    var max: Double
    var mean: Double
    /// Samples; fio 3.x writes it (0 for a latency it did not record).
    var count: Int?
    var percentile: [String: Double]?
    enum CodingKeys: String, CodingKey {
      case min, max, mean, percentile
      case count = "N"
    }
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
    let waited: Latency
    let field: String
    if let total = d.totalLatency, total.percentile != nil {
      (waited, field) = (total, "lat_ns")
    } else if let completion = d.completionLatency {
      (waited, field) = (completion, "clat_ns")
    } else {
      throw .badFioOutput(file: file, reason: "\(name): neither lat_ns with percentiles nor clat_ns")
    }
    var submissionQuantiles: [(p: Double, ns: Double)]?
    var meanSubmissionNs: Double?
    if let s = d.submissionLatency, s.count.map({ $0 > 0 }) ?? (s.percentile != nil) {
      meanSubmissionNs = s.mean
      if s.percentile != nil {
        submissionQuantiles = try quantiles(s, field: "slat_ns", job: name, file: file)
      }
    }
    return FioResult(
      jobName: name, isWrite: isWrite, iops: d.iops, bytesPerSecond: d.bandwidth,
      meanLatencyNs: waited.mean,
      latencyQuantiles: try quantiles(waited, field: field, job: name, file: file),
      submissionQuantiles: submissionQuantiles, meanSubmissionNs: meanSubmissionNs)
  }

  /// `latency`'s min (p 0), percentiles and max (p 1), rising; errors name `job` and `field`.
  ///
  /// Of N samples the largest alone is the max: the table reaches it only over the last 1/N of
  /// probability, and stays at fio's last percentile (99.99) up to 1 − 1/N. Run straight from the
  /// 99.99th percentile to the max instead, a 4 s job's one slow sample (65 ms against a p99.99 of
  /// 3.75 ms on 6 December 2026) would stand for ten: one read in 10,000 would take 3.75–65 ms in
  /// the model, and every new block's punch waits for the slowest I/O in flight on its file.
  static func quantiles(_ latency: Latency, field: String, job: String, file: String) throws(CalibrationError)
    -> [(p: Double, ns: Double)]
  {
    var points: [(p: Double, ns: Double)] = []
    for (key, ns) in latency.percentile ?? [:] {
      guard let pct = Double(key), (0...100).contains(pct) else {
        throw .badFioOutput(
          file: file, reason: "\(job): \(field) percentile key \"\(key)\" is not a percentage")
      }
      if pct > 0 && pct < 100 { points.append((pct / 100, ns)) }
    }
    points.sort { $0.p < $1.p }
    points.insert((0, latency.min), at: 0)
    if let n = latency.count, n > 0, 1 - 1 / Double(n) > points.last!.p {
      points.append((1 - 1 / Double(n), points.last!.ns))
    }
    points.append((1, Swift.max(latency.max, points.last!.ns)))
    // fio's percentiles come from log-linear histogram bins; keep the table monotone.
    for i in 1..<points.count where points[i].ns < points[i - 1].ns { points[i].ns = points[i - 1].ns }
    return points
  }
}

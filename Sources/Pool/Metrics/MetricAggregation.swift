// SPDX-License-Identifier: GPL-3.0-or-later

extension Metric {
  /// How a run of several independent SRs (`sr.count`) combines its SRs' values into the run's: each
  /// SR is simulated as its own pool, and a fleet figure is only meaningful if the rule fits what the
  /// metric measures (a count adds up, a maximum is the largest, a per-request figure is weighted by
  /// requests). With one SR every rule gives the SR's own value. docs/metrics.md lists each metric's.
  public enum Aggregation: Sendable, Hashable, CustomStringConvertible {
    /// Counts, bytes and time the SRs spent, added up.
    case sum
    /// The largest of the SRs' values.
    case max
    /// The smallest (for a 0-or-1 flag: 1 only if every SR has 1).
    case min
    /// A setting every SR shares (the first SR's value).
    case same
    /// The SRs' values weighted by the requests each completed (its `all` latency histogram's count).
    case requestWeightedMean
    /// The SRs' values weighted by the VDIs each holds.
    case vdiWeightedMean
    /// The SRs' values weighted by how many leaf attempts paused on each (its `pause` timeline spans).
    case pauseWeightedMean
    /// The plain mean over the SRs that recorded the metric (a per-SR model fit, which does not add).
    case meanOverSRs
    /// The `q`-quantile of the SRs' latency histogram `histogram` merged bucket by bucket.
    case percentile(histogram: String, q: Double)
    /// The peak of the SRs' time series `series` summed at every time any of them changed.
    case peakOfSum(series: String)

    public var description: String {
      switch self {
      case .sum: "sum"
      case .max: "maximum"
      case .min: "minimum"
      case .same: "shared setting"
      case .requestWeightedMean: "mean weighted by requests"
      case .vdiWeightedMean: "mean weighted by VDIs"
      case .pauseWeightedMean: "mean weighted by paused attempts"
      case .meanOverSRs: "mean over SRs"
      case .percentile(let histogram, let q): "\(histogram) histograms merged, then the \(q) quantile"
      case .peakOfSum(let series): "peak of the summed `\(series)` series"
      }
    }
  }
}

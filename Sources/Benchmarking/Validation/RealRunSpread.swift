// SPDX-License-Identifier: GPL-3.0-or-later

/// How far the real side of a validation case moves when the same run is repeated: the range of its
/// headline figures over the runs, and its noise floor. A shared virtual disk does not give the same
/// numbers twice (Reports/validation/NOTES.md: up to 2.4× in IOPS a minute apart), so one real run
/// cannot tell a model error from the machine's own noise; a model whose IOPS lie within the real
/// range and whose demerit is no larger than the noise floor is as close as this machine can tell
/// (docs/simulation.md#repeats-and-the-noise-floor).
public struct RealRunSpread: Encodable, Sendable, Equatable {
  /// One real run: its IOPS and its response times (any order), in nanoseconds.
  public struct Run: Sendable {
    public var iops: Double
    public var latenciesNs: [Double]

    public init(iops: Double, latenciesNs: [Double]) {
      self.iops = iops
      self.latenciesNs = latenciesNs
    }
  }

  /// How many real runs (at least 2).
  public var repeats: Int
  public var iopsMin: Double
  public var iopsMax: Double
  public var p50MinUs: Double
  public var p50MaxUs: Double
  public var p99MinUs: Double
  public var p99MaxUs: Double
  /// The noise floor: the largest leave-one-out demerit (``noiseFloor(_:)``), µs.
  public var demeritUs: Double
  /// The noise floor as % of the mean of all runs' response times pooled (the denominator of the
  /// case's own demerit %, so the two compare directly).
  public var demeritPercent: Double

  /// The field names of a case's JSON (`ValidationCase` encodes these beside its own).
  enum CodingKeys: String, CodingKey {
    case repeats
    case iopsMin = "iops_real_min"
    case iopsMax = "iops_real_max"
    case p50MinUs = "p50_real_us_min"
    case p50MaxUs = "p50_real_us_max"
    case p99MinUs = "p99_real_us_min"
    case p99MaxUs = "p99_real_us_max"
    case demeritUs = "demerit_real_spread_us"
    case demeritPercent = "demerit_real_spread_percent"
  }

  /// The spread of `runs` (two or more).
  public init(runs: [Run]) {
    precondition(runs.count >= 2, "a spread needs two runs or more")
    let sorted = runs.map { $0.latenciesNs.sorted() }
    let p50 = sorted.map { CDFComparison.quantile($0, 0.5) / 1000 }
    let p99 = sorted.map { CDFComparison.quantile($0, 0.99) / 1000 }
    let all = sorted.joined()
    let mean = all.reduce(0, +) / Double(Swift.max(1, all.count))
    let floor = Self.noiseFloor(sorted)
    repeats = runs.count
    iopsMin = runs.map(\.iops).min()!
    iopsMax = runs.map(\.iops).max()!
    p50MinUs = p50.min()!
    p50MaxUs = p50.max()!
    p99MinUs = p99.min()!
    p99MaxUs = p99.max()!
    demeritUs = floor / 1000
    demeritPercent = 100 * floor / mean
  }

  /// Whether `iops` lies within the real runs' range (ends included).
  public func contains(iops: Double) -> Bool { iopsMin <= iops && iops <= iopsMax }

  /// The median of `values` (the mean of the two middle ones for an even count): the real IOPS of a
  /// repeated case, which one disturbed run does not move the way it moves a mean.
  public static func median(_ values: [Double]) -> Double {
    CDFComparison.quantile(values.sorted(), 0.5)
  }

  /// All `samples` in one sorted sample.
  public static func pooled(_ samples: [[Double]]) -> [Double] { samples.joined().sorted() }

  /// The largest demerit between one sample and all the others pooled (leave-one-out), the same figure
  /// the model's demerit is: how far one run's response-time CDF lies from what the other runs
  /// together say, at worst. A model that is off by less than this cannot be told from a repeat of
  /// the real run. Nanoseconds in, nanoseconds out; 0 for fewer than two samples.
  public static func noiseFloor(_ samples: [[Double]]) -> Double {
    guard samples.count >= 2 else { return 0 }
    return samples.indices.map { i in
      let others = pooled(samples.indices.filter { $0 != i }.map { samples[$0] })
      return CDFComparison.demerit(real: others, simulated: samples[i].sorted())
    }.max()!
  }
}

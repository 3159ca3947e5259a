// SPDX-License-Identifier: GPL-3.0-or-later

import CGSL

/// Percentile bootstrap confidence interval for any statistic of one sample.
///
/// For statistics with no convenient standard error (a p99 latency, a median, a ratio) the bootstrap
/// estimates the sampling distribution by resampling: `resamples` times, draw n observations with
/// replacement (`gsl_ran_sample`), apply `statistic`, then take the (1 − level)/2 and (1 + level)/2
/// quantiles (R type 7) of the results. The estimate is `statistic(sample)`.
///
/// The generator is GSL's MT19937 seeded with `gsl_rng_set(seed)`, private to the call, so the same
/// sample, statistic, count and seed give the same interval on every run and every thread. The seed is 32
/// bits because `gsl_rng_set` keeps only the low 32 bits of its argument; GSL maps seed 0 to its default
/// seed 4357.
///
/// The percentile interval is simple and transformation-invariant but can undercover for small n and
/// skewed statistics; use a few thousand resamples for 95 % intervals.
/// - Throws: for fewer than two observations or non-finite values, a level outside (0, 1), fewer than
///   one resample, `.invalidArgument` when `statistic` returns a non-finite value, or `.gsl` when GSL
///   cannot allocate the generator.
public func bootstrapPercentileCI(
  _ sample: [Double], statistic: ([Double]) -> Double, resamples: Int = 10_000, level: Double = 0.95,
  seed: UInt32
) throws(StatisticsError) -> ConfidenceInterval {
  prepareGSL()
  try Validate.sample(sample, name: "sample", minimum: 2)
  try Validate.level(level)
  guard resamples >= 1 else { throw .invalidArgument("resamples must be at least 1, got \(resamples)") }
  let estimate = statistic(sample)
  guard estimate.isFinite else { throw .invalidArgument("statistic returned \(estimate) on the sample") }
  guard let rng = gsl_rng_alloc(cgsl_rng_mt19937()) else { throw .gslFailure(Int32(GSL_ENOMEM)) }
  defer { gsl_rng_free(rng) }
  gsl_rng_set(rng, UInt(seed))

  let n = sample.count
  var source = sample
  var resample = [Double](repeating: 0, count: n)
  var statistics = [Double]()
  statistics.reserveCapacity(resamples)
  for index in 0..<resamples {
    source.withUnsafeMutableBytes { src in
      resample.withUnsafeMutableBytes { dest in
        gsl_ran_sample(rng, dest.baseAddress, n, src.baseAddress, n, MemoryLayout<Double>.stride)
      }
    }
    let value = statistic(resample)
    guard value.isFinite else {
      throw .invalidArgument("statistic returned \(value) on resample \(index)")
    }
    statistics.append(value)
  }
  statistics.withUnsafeMutableBufferPointer { gsl_sort($0.baseAddress, 1, $0.count) }
  let alpha = 1 - level
  return ConfidenceInterval(
    estimate: estimate,
    lower: gsl_stats_quantile_from_sorted_data(statistics, 1, resamples, alpha / 2),
    upper: gsl_stats_quantile_from_sorted_data(statistics, 1, resamples, 1 - alpha / 2),
    level: level)
}

// SPDX-License-Identifier: GPL-3.0-or-later
import CGSL

/// The standard normal distribution's quantile function Φ⁻¹(p) for p in (0, 1) (GSL's
/// `gsl_cdf_ugaussian_Pinv`). Disk models draw lognormal service times by inverse-CDF sampling with
/// it, so one uniform variate gives one latency and two distributions can be sampled at the same
/// quantile (interpolation between size classes).
public func standardNormalQuantile(_ p: Double) -> Double {
  gsl_cdf_ugaussian_Pinv(p)
}

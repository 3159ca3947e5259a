// SPDX-License-Identifier: GPL-3.0-or-later

/// |actual − expected| ≤ tolerance, with NaN never close: keeps `#expect` failures to two numbers.
func isClose(_ actual: Double, _ expected: Double, tolerance: Double = 1e-12) -> Bool {
  abs(actual - expected) <= tolerance
}

/// Welch's classic example (Wikipedia, "Welch's t-test", example 1: A1 and A2, n = 15 each).
let welchA: [Double] = [
  27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4,
]
let welchB: [Double] = [
  27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4,
]

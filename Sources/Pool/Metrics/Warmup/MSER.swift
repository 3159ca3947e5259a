// SPDX-License-Identifier: GPL-3.0-or-later

/// The Marginal Standard Error Rule (White 1997; Franklin & White 2008): for a series Z₁…Z_k (here
/// batch means of response times), the truncation d in 0…⌊k/2⌋ minimising
/// MSER(d) = Σ_{j>d} (Z_j − Z̄_d)² / (k − d)², where Z̄_d is the mean of the k − d values kept — the
/// squared standard error of the remaining mean, up to a constant. Ties keep the smallest d; a series
/// of fewer than 4 values is not truncated (docs/simulation.md#warm-up).
public enum MSER {
  public static func truncation(_ z: [Double]) -> Int {
    let k = z.count
    guard k >= 4 else { return 0 }
    var best = 0
    var bestValue = Double.infinity
    // Suffix sums from the end, then a second pass for the centred sum of squares (stable).
    for d in 0...(k / 2) {
      let n = Double(k - d)
      var sum = 0.0
      for j in d..<k { sum += z[j] }
      let mean = sum / n
      var ss = 0.0
      for j in d..<k { ss += (z[j] - mean) * (z[j] - mean) }
      let value = ss / (n * n)
      if value < bestValue {
        bestValue = value
        best = d
      }
    }
    return best
  }
}

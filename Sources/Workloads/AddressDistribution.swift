// SPDX-License-Identifier: GPL-3.0-or-later

/// Where on the disk requests land. Locality decides how many 2 MiB blocks a chain level allocates and
/// how often a read finds its sectors in the leaf, so it matters as much as the request rate.
///
/// Every distribution picks a 4 KiB page of the region (the guest page cache's unit); ``Alignment``
/// then decides whether the request starts on that page or a few sectors into it.
public enum AddressDistribution: Hashable, Sendable {
  /// Every page equally likely.
  case uniform
  /// Zipf over pages: page k (0 = hottest, at the start of the region, as fio places it) has weight
  /// (k+1)^−θ. θ = 0 is uniform; θ ≈ 1.2 is fio's usual "hot" example.
  case zipf(theta: Double)
  /// A bounded power law from Pareto samples: with X ~ Pareto(shape, 1), the page is ⌊pages / X⌋, so
  /// P(page < x·pages) = x^shape. Shape < 1 concentrates requests at the start of the region.
  case pareto(shape: Double)
  /// `requestFraction` of requests go uniformly to the first `diskFraction` of the region, the rest
  /// uniformly to the remainder (fio's `zoned:90/10:10/90`).
  case hotSet(requestFraction: Double, diskFraction: Double)
  /// Each request starts `strideBytes` after the previous one's start (nil: right after its end, i.e.
  /// contiguous), wrapping to the region start at the end.
  case sequential(strideBytes: Int?)

  /// Why the parameters are unusable, or nil.
  public var problem: String? {
    switch self {
    case .uniform: return nil
    case .zipf(let theta):
      return theta.isFinite && theta >= 0 ? nil : "Zipf θ \(theta) must be finite and not negative"
    case .pareto(let shape):
      return shape.isFinite && shape > 0 ? nil : "Pareto shape \(shape) must be positive"
    case .hotSet(let r, let d):
      guard (0...1).contains(r) else { return "hot-set request fraction \(r) is not in 0...1" }
      guard d > 0, d < 1 else { return "hot-set disk fraction \(d) is not in (0, 1)" }
      return nil
    case .sequential(let stride):
      if let stride, stride <= 0 || stride % 512 != 0 {
        return "sequential stride \(stride) is not a positive multiple of 512"
      }
      return nil
    }
  }
}

/// Whether requests start on 4 KiB boundaries (what page caches issue; keeps data areas aligned) or at
/// any sector (O_DIRECT applications, old partition tables), which makes the engine touch bitmaps and
/// blocks partially.
public enum Alignment: Hashable, Sendable {
  case aligned4K
  /// The start moves 0…7 sectors into the chosen page, uniformly.
  case sectorUnaligned
}

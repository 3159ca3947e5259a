// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Turns an ``AddressDistribution`` into sectors inside a region, with any tables built once.
///
/// Zipf uses Walker's alias method (``DiscreteDistribution``): O(1) per draw, but O(n) memory. A 2 TiB
/// disk has 2²⁹ pages, too many for a table, so above ``maximumZipfBins`` pages the pages are grouped
/// into that many equal bins ("hot bins"): a bin is drawn by its Zipf mass, then a page uniformly
/// within it. Bin mass is ∫ x^−θ dx over the bin's ranks ± ½ (the midpoint rule, exact enough when
/// bins hold many pages); page-level skew inside a bin is lost, which at 2¹⁶ bins only flattens the
/// hottest 1/65 536 of the disk.
public struct AddressSampler {
  /// Bins above which Zipf stops being per page.
  public static let maximumZipfBins = 1 << 16

  public let distribution: AddressDistribution
  public let alignment: Alignment
  /// First sector of the region.
  public let firstSector: UInt64
  /// 4 KiB pages a request may start in.
  public let pages: Int
  /// Zipf: the table over bins (or pages when `pagesPerBin` is 1).
  let zipf: DiscreteDistribution?
  /// Zipf: pages per bin (the last bin may be shorter).
  public let pagesPerBin: Int
  /// Hot set: pages in the hot part.
  let hotPages: Int
  /// Sequential: the next start, in sectors from the region start.
  var cursor: UInt64 = 0
  let regionSectors: UInt64

  /// - Parameters:
  ///   - region: sectors the requests must stay within.
  ///   - maximumRequestSectors: the largest request, which must still fit at the last page.
  public init(
    distribution: AddressDistribution, alignment: Alignment, region: Range<UInt64>,
    maximumRequestSectors: Int
  ) throws(WorkloadError) {
    if let problem = distribution.problem { throw WorkloadError(problem) }
    self.distribution = distribution
    self.alignment = alignment
    firstSector = region.lowerBound
    regionSectors = region.upperBound - region.lowerBound
    let slack: UInt64 = alignment == .sectorUnaligned ? 7 : 0
    let need = UInt64(maximumRequestSectors) + slack
    guard region.lowerBound % 8 == 0 else {
      throw WorkloadError("region start sector \(region.lowerBound) is not 4 KiB aligned")
    }
    guard regionSectors >= need else {
      throw WorkloadError(
        "region of \(regionSectors) sectors cannot hold a \(maximumRequestSectors)-sector request")
    }
    pages = Int((regionSectors - need) / 8) + 1
    var pagesPerBin = 1
    var hotPages = 0
    var zipf: DiscreteDistribution? = nil
    switch distribution {
    case .zipf(let theta):
      let bins = min(pages, Self.maximumZipfBins)
      pagesPerBin = (pages + bins - 1) / bins
      let binCount = (pages + pagesPerBin - 1) / pagesPerBin
      var weights = [Double](repeating: 0, count: binCount)
      if pagesPerBin == 1 {
        for k in 0..<binCount { weights[k] = pow(Double(k + 1), -theta) }
      } else {
        for k in 0..<binCount {
          let lo = Double(k * pagesPerBin) + 0.5
          let hi = Double(min(pages, (k + 1) * pagesPerBin)) + 0.5
          weights[k] = theta == 1 ? log(hi / lo) : (pow(hi, 1 - theta) - pow(lo, 1 - theta)) / (1 - theta)
        }
      }
      do {
        zipf = try DiscreteDistribution(weights: weights)
      } catch {
        throw WorkloadError("cannot build the Zipf table: \(error)")
      }
    case .hotSet(_, let d):
      hotPages = min(pages - 1, max(1, Int((Double(pages) * d).rounded())))
      if pages < 2 { throw WorkloadError("a hot set needs a region of at least two pages") }
    default: break
    }
    self.pagesPerBin = pagesPerBin
    self.hotPages = hotPages
    self.zipf = zipf
  }

  /// The page (0..<pages) the next request starts in; sequential uses ``nextStart(sectors:random:)``.
  public func samplePage(_ random: RandomStream) -> Int {
    switch distribution {
    case .uniform, .sequential:
      return random.uniformInt(pages)
    case .zipf:
      let bin = zipf!.sample(random)
      if pagesPerBin == 1 { return bin }
      let first = bin * pagesPerBin
      return first + random.uniformInt(min(pagesPerBin, pages - first))
    case .pareto(let shape):
      let x = random.pareto(shape: shape, scale: 1)
      return min(pages - 1, Int(Double(pages) / x))
    case .hotSet(let r, _):
      if random.uniform() < r { return random.uniformInt(hotPages) }
      return hotPages + random.uniformInt(pages - hotPages)
    }
  }

  /// Probability of Zipf bin k (a page when `pagesPerBin` is 1), for tests and previews (fio-genzipf).
  public func zipfBinProbability(_ k: Int) -> Double { zipf?.probability(of: k) ?? 0 }

  /// Number of Zipf bins (0 for other distributions).
  public var zipfBins: Int { zipf?.count ?? 0 }

  /// The first sector of the next request of `sectors` sectors.
  public mutating func nextStart(sectors: Int, addresses: RandomStream, alignment shift: RandomStream)
    -> UInt64
  {
    if case .sequential(let stride) = distribution {
      if cursor + UInt64(sectors) > regionSectors { cursor = 0 }
      let start = cursor
      cursor += stride.map { UInt64($0 / 512) } ?? UInt64(sectors)
      return firstSector + start
    }
    var sector = UInt64(samplePage(addresses)) * 8
    if alignment == .sectorUnaligned { sector += UInt64(shift.uniformInt(8)) }
    return firstSector + sector
  }
}

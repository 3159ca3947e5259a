// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import SeededRandom

/// The least an exact sampler of uniform guest writes costs per write, measured with a working one
/// (docs/benchmarks.md#the-1000-vm-year-and-how-far-this-build-is-from-it).
///
/// Issue 16's year asks for writes "sampled exactly". Per block and interval that needs the block's
/// write count (Poisson splitting makes the blocks' counts independent Poisson variables) and, for
/// each write, its start page in the block and its size class: 9 + 2 bits for 2 MiB blocks of 4 KiB
/// pages and four equally likely sizes. Those are uniform over powers of two, so five writes take one
/// 64-bit draw and no draw is wasted on precision. The pages each write covers are ORed into a page
/// mask; a write running past the block's end carries into the next block's mask, as the engine
/// splits a request. Nothing is applied to an image: this is the sampling half of epoch resolution
/// at its cheapest, the part no implementation of exact sampling can skip.
enum ExactSamplerFloor {
  struct Result {
    var nanosecondsPerWrite: Double
    var writes: Int
    /// Pages covered, summed over every block and interval.
    var coveredPages: Int
    var pages: Int
  }

  static let pagesPerBlock = 512
  /// Pages of the four size classes (4, 16, 32 and 64 KiB), one byte each.
  static let classPages: UInt64 = 0x1008_0401

  /// Samples `intervals` intervals of `blocks` blocks at `writesPerBlock` expected writes each.
  static func measure(blocks: Int, writesPerBlock: Double, intervals: Int, seed: UInt64 = 1) -> Result {
    let poisson = PoissonInversion(mean: writesPerBlock)
    var generator = SplitMix64(seed: seed)
    let mask = UnsafeMutablePointer<UInt64>.allocate(capacity: 9)
    defer { mask.deallocate() }
    var writes = 0
    var covered = 0
    let wall = seconds {
      for _ in 0..<intervals {
        mask.update(repeating: 0, count: 9)
        for _ in 0..<blocks {
          let count = poisson.draw(generator.next())
          var bits: UInt64 = 0
          var left = 0
          for _ in 0..<count {
            if left < 11 {
              bits = generator.next()
              left = 64
            }
            let page = Int(truncatingIfNeeded: bits & 511)
            let length = Int(truncatingIfNeeded: (classPages >> ((bits >> 6) & 0x18)) & 0xFF)
            bits >>= 11
            left -= 11
            let word = page >> 6
            let offset = page & 63
            let run: UInt64 = (1 << UInt64(length)) &- 1
            mask[word] |= run << UInt64(offset)
            // A shift by 64 gives 0 (Swift's smart shift), so no branch for runs within a word.
            mask[word + 1] |= run >> UInt64(64 - offset)
          }
          writes += count
          for w in 0..<8 { covered += mask[w].nonzeroBitCount }
          mask[0] = mask[8]
          mask.advanced(by: 1).update(repeating: 0, count: 8)
        }
      }
    }
    return Result(
      nanosecondsPerWrite: writes == 0 ? .nan : wall * 1e9 / Double(writes), writes: writes,
      coveredPages: covered, pages: blocks * intervals * pagesPerBlock)
  }
}

/// Poisson variates by inversion of a tabulated distribution function with a guide table (Chen and
/// Asau 1974; Devroye 1986, *Non-Uniform Random Variate Generation*, III.2.4): one 64-bit draw a
/// variate, a table lookup and, on average, about one comparison. Exact to the double precision
/// of the tabulated probabilities; the table runs past the mean until a term is below 2⁻⁶⁰.
struct PoissonInversion {
  private var cdf: [Double] = []
  private var guide: [Int] = []

  init(mean: Double) {
    var p = exp(-mean)
    var sum = p
    var k = 0
    cdf.append(sum)
    // Until the terms fall below what a double's sum near 1 can register.
    while Double(k) <= mean || p > 0x1p-60 {
      k += 1
      p *= mean / Double(k)
      sum += p
      cdf.append(sum)
    }
    cdf[cdf.count - 1] = 1
    let size = cdf.count
    var j = 0
    for i in 0..<size {
      let u = Double(i) / Double(size)
      while cdf[j] <= u { j += 1 }
      guide.append(j)
    }
  }

  /// The variate for the uniform draw `random` (its top 53 bits).
  @inline(__always)
  func draw(_ random: UInt64) -> Int {
    let u = Double(random >> 11) * 0x1p-53
    var k = guide[Int(u * Double(guide.count))]
    while cdf[k] <= u { k += 1 }
    return k
  }
}

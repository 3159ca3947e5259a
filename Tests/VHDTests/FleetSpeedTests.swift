// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import VHD

/// The engine's shortcuts for the fleet run give the same answers as the plain paths: word-wise
/// bitmap ranges against bit-by-bit ones, reads without the zero fill against reads with it.
@Suite struct FleetSpeedTests {
  /// setRange and allSet on ranges of every alignment and length up to four words against a
  /// bit-by-bit reference, on a bitmap that is not a whole number of words long.
  @Test func wordWiseBitmapRangesMatchBitByBit() {
    var random = SplitMix64(seed: 7)
    let bits = 8 * 67
    for _ in 0..<400 {
      let lo = Int(random.next() % UInt64(bits))
      let hi = lo + Int(random.next() % UInt64(min(260, bits - lo) + 1))
      var fast = (0..<67).map { _ in UInt8(truncatingIfNeeded: random.next()) }
      if random.next() % 2 == 0 { fast = [UInt8](repeating: 0xFF, count: 67) }
      var slow = fast
      let before = fast
      let all = (lo..<hi).allSatisfy { n in before[n >> 3] & (0x80 >> UInt8(n & 7)) != 0 }
      let allFast = fast.withUnsafeBytes { SectorBitmap.allSet($0.baseAddress!, lo, hi) }
      #expect(allFast == all)
      let changed = fast.withUnsafeMutableBytes { SectorBitmap.setRange($0.baseAddress!, lo, hi) }
      for n in lo..<hi { slow[n >> 3] |= 0x80 >> UInt8(n & 7) }
      #expect(fast == slow)
      #expect(changed == (slow != before))
    }
  }

  /// A read with `zeroFillsUnheldSectors` off leaves the sectors no level holds as they were,
  /// fills the held ones, and counts exactly what the zero-filling read counts.
  @Test func readWithoutZeroFillCountsTheSameAndLeavesUnheldBytes() throws {
    let s = MemoryStorage()
    _ = try VHDImage.createDynamic("/sr/base.vhd", size: 8 << 20, storage: s, stamp: testStamp(1))
    let chain = try VHDChain.open("/sr/base.vhd", storage: s, writable: true)
    // Block 0: sectors 8..<16 written; block 1 untouched; block 2 written in full.
    try chain.write(sector: 8, bytes: [UInt8](repeating: 0xAA, count: 8 * 512))
    try chain.write(sector: 8192, bytes: [UInt8](repeating: 0xBB, count: 2 << 20))
    let count = 3 * 4096
    var filled = RequestAccounting()
    filled.recordRuns = true
    var zeroed = [UInt8](repeating: 0xEE, count: count * 512)
    try zeroed.withUnsafeMutableBytes {
      try chain.read(sector: 0, count: count, into: $0.baseAddress!, accounting: &filled)
    }
    chain.zeroFillsUnheldSectors = false
    var skipped = RequestAccounting()
    skipped.recordRuns = true
    var kept = [UInt8](repeating: 0xEE, count: count * 512)
    try kept.withUnsafeMutableBytes {
      try chain.read(sector: 0, count: count, into: $0.baseAddress!, accounting: &skipped)
    }
    #expect(skipped.levels == filled.levels)
    #expect(skipped.zeroFilledSectors == filled.zeroFilledSectors)
    #expect(
      skipped.servedRuns.map { [$0.level, Int($0.sector), $0.count] }
        == filled.servedRuns.map { [$0.level, Int($0.sector), $0.count] })
    #expect(filled.zeroFilledSectors == 4096 + 4088)
    for sector in 0..<count {
      let range = sector * 512..<(sector + 1) * 512
      let held = (8..<16).contains(sector) || sector >= 8192
      #expect(Array(kept[range]) == (held ? Array(zeroed[range]) : [UInt8](repeating: 0xEE, count: 512)))
      if !held { #expect(zeroed[range].allSatisfy { $0 == 0 }) }
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import VHD

@Suite struct BlockOverlapTests {
  /// Pairwise check, the definition.
  private func overlapping(_ starts: [UInt64], span: UInt64) -> Bool {
    for i in starts.indices {
      for j in starts.indices where j > i {
        if max(starts[i], starts[j]) - min(starts[i], starts[j]) < span { return true }
      }
    }
    return false
  }

  @Test("agrees with the pairwise definition on random layouts", arguments: [1, 2, 3, 4])
  func agreesWithPairwise(seed: UInt64) {
    var random = SplitMix64(seed: seed)
    let span: UInt64 = 4097
    for round in 0..<400 {
      let count = Int(random.next() % 40)
      let from = random.next() % 10_000
      // Mostly packed layouts (slots of a span, some shifted), sometimes near misses and sparse ones.
      var starts: [UInt64] = []
      for slot in 0..<count {
        let base = from + UInt64(slot) * span * (round % 7 == 0 ? 9 : 1)
        let jitter = random.next() % 8 == 0 ? random.next() % (2 * span) : 0
        starts.append(base + jitter)
      }
      starts.shuffle(using: &random)
      let used = starts.enumerated().map { $0.element << 32 | UInt64($0.offset) }
      let expected = !overlapping(starts, span: span)
      let answer = BlockOverlap.none(used, from: from, span: span)
      // `false` may also mean "too sparse to bucket": then the caller's sort decides.
      if answer { #expect(expected, "round \(round): \(starts)") }
      if !expected { #expect(!answer, "round \(round): \(starts)") }
    }
  }

  @Test func exactNeighboursDoNotOverlapAndOneSectorLessDoes() {
    let span: UInt64 = 4097
    let from: UInt64 = 3
    #expect(BlockOverlap.none([(from + span) << 32 | 1, from << 32 | 0], from: from, span: span))
    #expect(!BlockOverlap.none([(from + span - 1) << 32 | 1, from << 32 | 0], from: from, span: span))
    #expect(!BlockOverlap.none([from << 32 | 1, from << 32 | 0], from: from, span: span))
    #expect(BlockOverlap.none([], from: from, span: span))
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import StorageRepository

/// `LVSizes` keeps the sum of its sizes through every change: random sets, replacements and
/// removals against a dictionary summed afresh after every step.
@Suite struct LVSizesTests {
  @Test func theTotalFollowsEveryChange() {
    var sizes = LVSizes()
    var oracle: [String: UInt64] = [:]
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 33
    }
    for _ in 0..<5_000 {
      let uuid = "vdi-\(next() % 64)"
      let value: UInt64? = next() % 4 == 0 ? nil : (next() % 4096) << 22
      sizes[uuid] = value
      oracle[uuid] = value
      #expect(sizes.total == oracle.values.reduce(0, +))
      #expect(sizes[uuid] == oracle[uuid])
    }
    #expect(sizes.sizes == oracle)
    #expect(LVSizes(oracle) == sizes)
    let literal: LVSizes = ["a": 4 << 20, "b": 8 << 20]
    #expect(literal.total == 12 << 20 && literal["a"] == 4 << 20 && literal["c"] == nil)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// Where the SR gets the uuids and creation times of new nodes. The SR knows nothing about time:
/// its host sets `unixTime` (simulated time), and uuids come from a seeded SplitMix64 so a seeded
/// run names every VDI the same way.
public struct StampSequence: Sendable {
  public var unixTime: Int64
  private var state: UInt64

  public init(seed: UInt64 = 0, unixTime: Int64 = 1_700_000_000) {
    self.state = seed
    self.unixTime = unixTime
  }

  /// The next stamp: `unixTime` and a fresh version-4 uuid.
  public mutating func next() -> CreationStamp {
    var generator = SplitMix(state: state)
    let uuid = DiskUUID.random(using: &generator)
    state = generator.state
    return CreationStamp(unixTime: unixTime, uuid: uuid)
  }

  private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }
}

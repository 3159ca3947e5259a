// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// Where the SR gets the uuids and creation times of new nodes. The SR knows nothing about time:
/// its host sets `unixTime` (simulated time), and uuids come from a seeded SplitMix64 so a seeded
/// run names every VDI the same way.
public struct StampSequence: Sendable {
  public var unixTime: Int64
  private var state: UInt64

  public init(seed: UInt64 = 0, unixTime: Int64 = CreationStamp.fixedUnixTime) {
    self.state = seed
    self.unixTime = unixTime
  }

  /// The next stamp: `unixTime` and a fresh version-4 uuid.
  public mutating func next() -> CreationStamp {
    var generator = SplitMix64(seed: state)
    let uuid = DiskUUID.random(using: &generator)
    state = generator.state
    return CreationStamp(unixTime: unixTime, uuid: uuid)
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import VHD

/// The summed engine work of the reads an epoch interval evaluated through the chain
/// (docs/simulation.md#epoch-resolution), before it is scaled to the interval's read count.
struct EpochReadSample {
  var levels: [LevelWork]
  var levelsProbed = 0
  var zeroFilled = 0
  var sectors = 0

  init(depth: Int) { levels = Array(repeating: LevelWork(), count: depth) }

  mutating func add(_ accounting: RequestAccounting, sectors: Int) {
    for l in levels.indices { levels[l] += accounting.levels[l] }
    levelsProbed += accounting.levelsProbed
    zeroFilled += accounting.zeroFilledSectors
    self.sectors += sectors
  }
}

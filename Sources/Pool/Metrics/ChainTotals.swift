// SPDX-License-Identifier: GPL-3.0-or-later
import VHD

/// Chain-level work summed over a run (index 0 is the leaf): the engine's `LevelWork`, added up.
public typealias LevelTotals = LevelWork

/// What the chain lookups cost over every guest request (reads and writes): per-level totals, and the
/// sums the per-request averages divide.
public struct ChainTotals: Sendable, Equatable {
  /// Per chain level (0 = leaf).
  public var levels: [LevelTotals] = []
  /// Σ over requests of the levels each probed, and of the chain depth it ran against.
  public var levelsProbedSum = 0
  public var chainDepthSum = 0
  public var zeroFilledSectors = 0
  public var blocksAllocated = 0

  public init() {}
}

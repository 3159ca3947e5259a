// SPDX-License-Identifier: GPL-3.0-or-later

/// The mirror design's knobs: how many copy passes run with the guest live, and how small the set
/// dirtied during a pass must be for the final, paused pass.
public struct MirrorParameters: Equatable, Sendable {
  /// Copy passes at most (the first full one included) before pausing whatever is left.
  public var maxPasses: Int
  /// Pause for the final pass once the bytes dirtied during the last pass are below this.
  public var finalDeltaBytes: UInt64

  public init(maxPasses: Int = 8, finalDeltaBytes: UInt64 = 8 * VHDSpace.miB) {
    self.maxPasses = maxPasses
    self.finalDeltaBytes = finalDeltaBytes
  }

  /// After pass `pass` (1-based), during which the guest dirtied `dirtyBytes`: true when the next
  /// pass is the final one, run with the tapdisk paused.
  public func shouldPause(afterPass pass: Int, dirtyBytes: UInt64) -> Bool {
    dirtyBytes < finalDeltaBytes || pass >= maxPasses
  }

  /// `maxPasses` must be at least 1.
  public func validate() throws(LeafCoalesceDesignError) {
    guard maxPasses >= 1 else { throw .invalidParameter(field: "maxPasses", value: "\(maxPasses)") }
  }
}

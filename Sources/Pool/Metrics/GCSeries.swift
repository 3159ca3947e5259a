// SPDX-License-Identifier: GPL-3.0-or-later

/// The SR's state over a run: each VDI's chain depth and the physical space, sampled when they changed.
public struct GCSeries: Sendable, Equatable {
  /// Per VDI (attach order).
  public var depth: [DepthSeries] = []
  public var space: [SpaceSample] = []
  public var spacePeak: UInt64 = 0

  public init() {}

  /// Deepest chain of any VDI at the end of the run.
  public var chainDepthAfterGC: Int { depth.map(\.final).max() ?? 0 }
}

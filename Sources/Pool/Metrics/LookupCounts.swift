// SPDX-License-Identifier: GPL-3.0-or-later

/// One guest request's chain lookups summed over its levels (the trace's per-request view of
/// `LevelWork`).
public struct LookupCounts: Sendable, Equatable {
  public var levelsProbed: Int
  public var batProbes: Int
  public var bitmapCacheHits: Int
  public var bitmapReads: Int
  public var batmapShortcuts: Int
}

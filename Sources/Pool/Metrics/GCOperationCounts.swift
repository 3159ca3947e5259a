// SPDX-License-Identifier: GPL-3.0-or-later

/// How often the GC ran, was kicked and what it finished, over a run.
public struct GCOperationCounts: Sendable, Equatable {
  /// GC processes started (a kick on an idle SR), kicks in total, kicks that found it busy.
  public var runs = 0
  public var kicks = 0
  public var kicksIgnored = 0
  /// Auto-scans of the periodic scanner.
  public var autoScans = 0
  /// Garbage nodes deleted.
  public var garbageCollected = 0
  /// Completed non-leaf coalesces (snapshot-coalesce iterations included) and leaf coalesces.
  public var coalesces = 0
  public var leafCoalesces = 0
  /// Targets a GC process remembered as failed (counted per process).
  public var failedTargets = 0

  public init() {}
}

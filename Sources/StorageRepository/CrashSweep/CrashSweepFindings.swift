// SPDX-License-Identifier: GPL-3.0-or-later

/// What one crash point left wrong after restart and recovery, by category (nil: nothing). The
/// sweep counts crash points per category; a point with none is `recovered_ok`.
public struct CrashSweepFindings: Equatable, Sendable {
  /// A visible VDI reads something it never held (or is gone, or an unexpected one appeared).
  public var dataMismatch: String?
  /// A node fails `VHDCheck`, cannot be scanned, has the wrong hidden bit or an LV too small for it.
  public var checkFailure: String?
  /// A file or node nothing accounts for (no visible VDI above it, not garbage, no journal).
  public var orphan: String?
  /// Restart, recovery or the GC afterwards threw.
  public var recoveryFailure: String?

  public init() {}

  public var isClean: Bool {
    dataMismatch == nil && checkFailure == nil && orphan == nil && recoveryFailure == nil
  }

  /// Every finding, one line each.
  public var descriptions: [String] {
    [dataMismatch, checkFailure, orphan, recoveryFailure].compactMap { $0 }
  }

  mutating func note(_ field: WritableKeyPath<CrashSweepFindings, String?>, _ text: String?) {
    if self[keyPath: field] == nil { self[keyPath: field] = text }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// Tapdisk reopens and the metadata bytes each level's reopen read.
public struct ReopenTotals: Sendable, Equatable {
  public var count = 0
  public var bytes: UInt64 = 0

  public init() {}
}

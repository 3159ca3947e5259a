// SPDX-License-Identifier: GPL-3.0-or-later

/// Guest requests a run completed and the payload they moved, by direction.
public struct RequestCounts: Sendable, Equatable {
  public var reads = 0
  public var writes = 0
  public var bytesRead: UInt64 = 0
  public var bytesWritten: UInt64 = 0

  public init() {}

  /// Reads and writes together.
  public var total: Int { reads + writes }
}

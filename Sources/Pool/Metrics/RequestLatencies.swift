// SPDX-License-Identifier: GPL-3.0-or-later

/// Response time (issue to completion: tapdisk queue, pause, disk queue, service) of a run's guest
/// requests: every request, and reads and writes apart.
public struct RequestLatencies: Sendable, Equatable {
  public var all = LatencyHistogram()
  public var reads = LatencyHistogram()
  public var writes = LatencyHistogram()

  public init() {}
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// Guest requests a paused tapdisk held: how many, their total and longest hold.
public struct StallTotals: Sendable, Equatable {
  public var requests = 0
  public var total = SimTime.zero
  public var max = SimTime.zero

  public init() {}
}

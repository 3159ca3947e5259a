// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// How busy the GC was: the time it worked and was alive, and its peak concurrency.
public struct GCActivity: Sendable, Equatable {
  /// Time at least one GC operation was running (copies, relinks, refreshes, leaf work).
  public var busy = SimTime.zero
  /// Time a GC process was alive (quiet periods included).
  public var active = SimTime.zero
  /// Most GC operations running at once, and most GC disk requests in flight at once.
  public var maxConcurrentOperations = 0
  public var maxRequestsInFlight = 0

  public init() {}
}

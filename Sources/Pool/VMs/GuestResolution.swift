// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// How finely a VM's built-in workload is simulated (docs/simulation.md#epoch-resolution).
public enum GuestResolution: Sendable, Hashable {
  /// Every request through the tapdisk, the engine and the disk: latencies, queueing, stalls.
  case request
  /// Writes and reads drawn in bulk per interval of at most `length` (cut at every SR or GC event)
  /// and applied to the engine as per-block bitmap updates; reads evaluated for their lookups only.
  /// No per-request latency and no disk time for guest I/O.
  case epoch(length: SimTime)
}

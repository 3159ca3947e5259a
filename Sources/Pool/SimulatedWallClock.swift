// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// The wall-clock time stamps files get in a simulated run: simulated time zero is a fixed Unix time,
/// so the same scenario and seed write byte-identical files on every machine and every day.
enum SimulatedWallClock {
  /// Unix time of simulated time zero (14 November 2023).
  static let start: Int64 = 1_700_000_000

  /// Whole Unix seconds at simulated time `t`.
  static func unixTime(at t: SimTime) -> Int64 { start + t.nanoseconds / 1_000_000_000 }
}

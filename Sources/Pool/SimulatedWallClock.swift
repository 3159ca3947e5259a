// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// The wall-clock time stamps files get in a simulated run: simulated time zero is the engine's fixed
/// creation time (`CreationStamp.fixedUnixTime`), so the same scenario and seed write byte-identical
/// files on every machine and every day.
enum SimulatedWallClock {
  /// Whole Unix seconds at simulated time `t`.
  static func unixTime(at t: SimTime) -> Int64 { CreationStamp.fixedUnixTime + t.nanoseconds / 1_000_000_000 }
}

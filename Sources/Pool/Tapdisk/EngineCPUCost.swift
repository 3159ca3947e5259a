// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// The processor time tapdisk's engine spends on one guest request before its I/O reaches the
/// device: a fixed part (request set-up, the BAT lookup, system calls) and a part per chain level
/// the lookup probed (docs/simulation.md#engine-cpu-time). tapdisk is one thread, so a tapdisk's
/// engine calls run one after another; `vhdsim disk calibrate` measures both parts (release build)
/// and writes them to the profile. Zero (the presets): the engine costs no time, as before.
/// `perIO` is the thread's time for each device I/O it collects (the completion, then the next I/O's
/// submission) beyond what fio's own loop spends, which the device's latency tables hold already.
public struct EngineCPUCost: Sendable, Equatable {
  public var perRequest: SimTime
  public var perLevel: SimTime
  public var perIO: SimTime

  public init(perRequest: SimTime, perLevel: SimTime, perIO: SimTime = .zero) {
    self.perRequest = perRequest
    self.perLevel = perLevel
    self.perIO = perIO
  }

  public static let none = EngineCPUCost(perRequest: .zero, perLevel: .zero)

  /// The time of a request whose lookup probed `levels` levels.
  @inline(__always)
  public func time(levels: Int) -> SimTime {
    SimTime(nanoseconds: perRequest.nanoseconds + perLevel.nanoseconds * Int64(levels))
  }
}

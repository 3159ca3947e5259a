// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// The processor time tapdisk's engine spends on one guest request before its I/O reaches the
/// device: a fixed part (request set-up, the BAT lookup, system calls) and a part per chain level
/// the lookup probed (docs/simulation.md#engine-cpu-time). tapdisk is one thread, so a tapdisk's
/// engine calls run one after another; `vhdsim disk calibrate` measures both parts (release build)
/// and writes them to the profile. Zero (the presets): the engine costs no time, as before.
/// `perIO` is the thread's time for each device I/O it collects (the completion, then the next I/O's
/// submission) beyond what fio's own loop spends, which the device's latency tables hold already.
/// `perSubmit` is the thread's time in `io_submit` for each I/O it submits: an I/O's own submission
/// is in its latency (fio's total latency), but the I/Os submitted after it in the same turn wait for
/// it, and so does every completion.
public struct EngineCPUCost: Sendable, Equatable {
  public var perRequest: SimTime
  public var perLevel: SimTime
  public var perIO: SimTime
  public var perSubmit: SimTime

  public init(perRequest: SimTime, perLevel: SimTime, perIO: SimTime = .zero, perSubmit: SimTime = .zero) {
    self.perRequest = perRequest
    self.perLevel = perLevel
    self.perIO = perIO
    self.perSubmit = perSubmit
  }

  public static let none = EngineCPUCost(perRequest: .zero, perLevel: .zero)

  /// The time of a request whose lookup probed `levels` levels.
  @inline(__always)
  public func time(levels: Int) -> SimTime {
    SimTime(nanoseconds: perRequest.nanoseconds + perLevel.nanoseconds * Int64(levels))
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation

/// How a scenario simulates its guests' requests: `resolution: request | epoch` and `epoch: SECONDS`
/// (docs/simulation.md#epoch-resolution), settable per policy so one scenario can compare the two.
public enum Resolution: String, Sendable, CaseIterable, ScenarioChoice {
  case request, epoch
}

/// The guest-side settings of a run that are not the workload itself: the swept rate and the
/// resolution.
public struct GuestOptions: Equatable, Sendable {
  /// Open-loop rate replacing every built-in VM's (`vms.rate`, requests/s); nil: as each group says.
  public var rate: Double?
  public var resolution = Resolution.request
  /// Longest interval applied in one piece at epoch resolution, in seconds (`epoch`).
  public var epochSeconds: Double = 3600

  public init() {}

  /// The pool's resolution for built-in VMs.
  public var guestResolution: GuestResolution {
    resolution == .request ? .request : .epoch(length: .seconds(epochSeconds))
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Pool

/// `vms.rate`: sweeping a guest's write rate is how leaf-coalesce designs are compared
/// (docs/storage-manager.md#fixed-point), so the open-loop rate of built-in workloads is a scenario
/// parameter.
extension WorkloadSpec {
  /// Whether the VM keeps a fixed number of requests outstanding (an `iodepth`), not a rate.
  var isClosedLoop: Bool {
    if case .closedLoop = arrivals { return true }
    return false
  }

  /// This workload at `rate` requests/s (nil: unchanged).
  func with(rate: Double?) -> WorkloadSpec {
    guard let rate else { return self }
    var w = self
    w.arrivals = .openLoop(ratePerSecond: rate)
    return w
  }
}

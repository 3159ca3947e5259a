// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD
import Workloads

/// A VM simulated at epoch resolution: its workload's bulk sampler, its own random stream (named
/// after the VM like a request-level VM's, so the two resolutions of one VM are separate draws of
/// the same distributions) and how far its guest I/O has been applied to its VDI.
struct EpochGuest {
  let vdi: Int
  var sampler: EpochWriteSampler
  let random: RandomStream
  let ratePerSecond: Double
  let readFraction: Double
  /// Guest I/O before this time has been applied.
  var appliedUntil = SimTime.zero

  /// Most reads evaluated through the chain per half interval; beyond it the counts of a uniform
  /// sample of this many are scaled (docs/simulation.md#epoch-resolution).
  static let readSampleLimit = 256

  init(vdi: Int, spec: WorkloadSpec, virtualSize: UInt64, random: RandomStream) throws(PoolError) {
    try spec.validate(virtualSize: virtualSize)
    guard case .openLoop(let rate) = spec.arrivals else {
      throw PoolError(
        "epoch resolution needs an open-loop workload (a rate): a closed loop's arrivals depend on "
          + "completion times, which epoch resolution does not simulate")
    }
    let region = spec.region ?? 0..<virtualSize
    let placement: EpochWriteSampler.Placement =
      spec.pattern == .sequential ? .sequential : .random(try spec.addressSampler(virtualSize: virtualSize))
    do {
      sampler = try EpochWriteSampler(
        placement: placement, sizes: spec.sizeMix,
        region: (region.lowerBound / 512)..<(region.upperBound / 512),
        diskSectors: virtualSize / 512)
    } catch {
      throw PoolError("epoch workload: \(error)")
    }
    self.vdi = vdi
    self.random = random
    ratePerSecond = rate
    readFraction = spec.readFraction
  }
}

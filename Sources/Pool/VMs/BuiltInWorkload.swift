// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import Workloads

/// The built-in workload (``WorkloadSpec``) as a request generator, on its VM's own random stream
/// (named after the VM, so adding a VM does not change the others' requests). An open-loop VM draws
/// each interarrival before the request it times; a closed-loop VM's request is due at once. Each
/// request then draws, in this order: read or write, its size (only with a size mix), its start page
/// (random pattern). A one-size uniform workload therefore draws exactly what it always drew.
struct BuiltInWorkload: RequestGenerator {
  let spec: WorkloadSpec
  let random: RandomStream
  /// First byte and count of 4 KiB-aligned positions where the largest request still fits.
  let firstByte: UInt64
  let positions: Int
  var nextPosition = 0
  let meanInterarrival: Double
  var sequence = 0
  let sizes: SizeSampler?
  let addresses: AddressSampler

  init(spec: WorkloadSpec, virtualSize: UInt64, random: RandomStream) throws(PoolError) {
    try spec.validate(virtualSize: virtualSize)
    self.spec = spec
    self.random = random
    let r = spec.region ?? 0..<virtualSize
    firstByte = r.lowerBound
    let span: UInt64 = r.upperBound - r.lowerBound
    positions = Int((span - UInt64(spec.largestRequestBytes)) / 4096) + 1
    if case .openLoop(let rate) = spec.arrivals {
      meanInterarrival = 1e9 / rate
    } else {
      meanInterarrival = 0
    }
    sizes = spec.sizes.map { SizeSampler(mix: $0) }
    addresses = try spec.addressSampler(virtualSize: virtualSize)
  }

  var loop: LoopKind {
    switch spec.arrivals {
    case .closedLoop(let depth): .closed(ioDepth: depth)
    case .openLoop: .open
    }
  }

  mutating func next(now: SimTime) -> GuestRequest? {
    var time = now
    if case .openLoop = spec.arrivals {
      time =
        now + SimTime(nanoseconds: Swift.max(1, Int64(random.exponential(mean: meanInterarrival).rounded())))
    }
    let isWrite = spec.readFraction >= 1 ? false : random.uniform() >= spec.readFraction
    let bytes = sizes?.sample(random) ?? spec.requestBytes
    let position: Int
    switch spec.pattern {
    case .random: position = addresses.samplePage(random)
    case .sequential:
      position = nextPosition
      nextPosition += bytes / 4096
      if nextPosition >= positions { nextPosition = 0 }
    }
    sequence += 1
    return GuestRequest(
      time: time, sequence: sequence - 1, operation: isWrite ? .write : .read,
      lba: (firstByte + UInt64(position) * 4096) / 512, sectors: bytes / 512)
  }
}

extension WorkloadSpec {
  /// The generator `PoolSimulation.addVM` gives VM `vm` of a pool of (`scenario`, `seed`): the same
  /// request sequence, for a driver that replays it against something real (`vhdsim validate`).
  public func generator(virtualSize: UInt64, scenario: String = "pool", seed: UInt64, vm: Int = 0) throws
    -> any RequestGenerator
  {
    try BuiltInWorkload(
      spec: self, virtualSize: virtualSize,
      random: RandomStream(scenario: scenario, replication: Int(truncatingIfNeeded: seed), stream: "vm\(vm)"))
  }
}

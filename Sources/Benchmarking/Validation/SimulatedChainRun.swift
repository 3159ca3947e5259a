// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import VHD

/// The simulated half of a validation case: the chain spec, workload and seed of the real run in a
/// pool on a file SR with the disk profile, simulated until `requests` requests completed. It is
/// deterministic (the same profile and seed give the same requests and latencies), so a case
/// simulates once however many times its real side is repeated.
struct SimulatedChainRun {
  var chain: ChainSpec
  var workload: WorkloadSpec
  var engine: EngineOptions
  var profile: DiskProfile
  var seed: UInt64
  var requests: Int

  func run() throws -> ChainRunResult {
    // The simulated SR must hold the chain however small a device the profile was measured on.
    var model = profile.model
    model.capacityBytes = Swift.max(model.capacityBytes, 64 << 30)
    let disk = DiskProfile(name: profile.name, path: profile.path, model: model, engineCPU: profile.engineCPU)
    let scenario = PoolScenario(
      chain: chain, workload: workload, disk: disk, sr: .file, device: .metadata, engine: engine,
      seed: seed, recordTrace: true)
    // As many requests as the real run made: simulate in slices until that many completed, then keep
    // the first `requests` completions (the same part of the workload's request sequence).
    let pool = try scenario.makePool()
    var result = try pool.run(for: .milliseconds(20))
    while result.trace.count < requests && pool.now < .seconds(600) {
      result = try pool.run(for: .milliseconds(20))
    }
    let done = result.trace.sorted { $0.completed < $1.completed }.prefix(requests)
    let served = done.map {
      RequestClassComparison.Request(
        isWrite: $0.isWrite, physicalIOs: $0.iosByKind.reduce(0, +),
        latencyNs: Double(($0.completed - $0.issued).nanoseconds))
    }
    // The thread's time the model charged the requests kept: processor time (`engine_cpu`: R + L ×
    // levels probed, and the per-I/O times for each I/O submitted and collected), and its time in
    // io_submit (the waits the file system makes included) and in zeroings, made in place.
    let cpu = profile.engineCPU
    let perIO = cpu.perIO.seconds + cpu.perSubmit.seconds
    let busy = done.reduce(0.0) {
      $0 + cpu.time(levels: $1.lookups.levelsProbed).seconds + perIO * Double($1.io.count)
    }
    let submitting = done.reduce(0.0) { $0 + $1.io.submit.seconds }
    let occupied = done.reduce(0.0) {
      $0 + cpu.time(levels: $1.lookups.levelsProbed).seconds + cpu.perIO.seconds * Double($1.io.count)
        + $1.io.submit.seconds + $1.io.zeroing.seconds
    }
    let elapsed = (done.last?.completed ?? .zero).seconds
    return ChainRunResult(
      requests: served, elapsedSeconds: elapsed, physicalIOs: served.reduce(0) { $0 + $1.physicalIOs },
      threadBusySeconds: busy, threadWaitingSeconds: Swift.max(0, elapsed - occupied),
      submitSeconds: submitting,
      inFlightSeconds: done.reduce(0.0) { $0 + $1.io.inFlight.seconds },
      iosTimed: done.reduce(0) { $0 + $1.io.count },
      // The scenario attaches one VDI: the pool's first.
      collections: pool.collections(vdi: 0))
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import Simulation
import Workloads

/// Measures the tapdisk loop's own time per device I/O beyond fio's (`EngineCPUCost.perIO`,
/// docs/simulation.md#engine-cpu-time): the validation's real loop (`TapdiskLoop`, one thread,
/// native AIO) reads a one-level chain whose blocks are all written, at iodepth 1, on the target's
/// device, so nearly every request is one 4 KiB data read, as fio's random 4 KiB reads at depth 1
/// are. Both pay the device's latency and the submission; what the loop takes beyond fio's
/// time per I/O (1 / its IOPS), less the engine call the profile already charges, is the thread's
/// time per I/O collected: the completion's handling and the next submission's preparation.
struct LoopOverheadTiming {
  /// A folder on the device (created, and removed afterwards).
  var folder: String
  var requests = 20_000
  var virtualSize: UInt64 = 256 << 20
  var seed: UInt64 = 1

  /// The per-I/O time, given fio's random 4 KiB read IOPS at depth 1 on the same device and the
  /// engine's cost per request.
  func measure(fioReadIOPS: Double, engineCPU: EngineCPUCost) throws -> SimTime {
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let chain = ChainSpec(depth: 1, virtualSize: virtualSize, baseFill: 1, writesPerSnapshot: 0, seed: seed)
    let workload = WorkloadSpec(readFraction: 1, arrivals: .closedLoop(ioDepth: 1))
    let run = try RealChainRun(
      chain: chain, workload: workload, engine: DiskValidation.engine, seed: seed, requests: requests
    ).run(in: folder)
    return Self.perIO(
      elapsedSeconds: run.elapsedSeconds, requests: run.requests.count, physicalIOs: run.physicalIOs,
      fioReadIOPS: fioReadIOPS, engineCPU: engineCPU)
  }

  /// (elapsed / I/Os − 1 / fio's IOPS − the engine's time per request × requests / I/Os), at least
  /// zero: the loop's time per I/O beyond fio's, less what `engine_cpu` charges already (one level
  /// probed per request of a one-level chain).
  static func perIO(
    elapsedSeconds: Double, requests: Int, physicalIOs: Int, fioReadIOPS: Double, engineCPU: EngineCPUCost
  ) -> SimTime {
    guard physicalIOs > 0, fioReadIOPS > 0, elapsedSeconds > 0 else { return .zero }
    let ios = Double(physicalIOs)
    let engine = engineCPU.time(levels: 1).seconds * Double(requests) / ios
    let extra = elapsedSeconds / ios - 1 / fioReadIOPS - engine
    return SimTime(nanoseconds: Int64((Swift.max(0, extra) * 1e9).rounded()))
  }
}

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
/// time per I/O collected: the completion's handling and the next submission's preparation. The two
/// runs are minutes apart on a device whose latency moves by more than that time, so where the
/// kernel counts the device's own time per I/O in both (`HostDiskLoad.usPerIO`), the difference
/// between the two is taken out: what remains is the host's side of each I/O.
public struct LoopOverheadTiming {
  /// A folder on the device (created, and removed afterwards).
  var folder: String
  var requests = 20_000
  var virtualSize: UInt64 = 256 << 20
  var seed: UInt64 = 1

  /// fio's random 4 KiB reads at depth 1 on the same device: IOPS, and the device's own time per
  /// I/O during the job (nil where the kernel gave no counters).
  struct FioReads {
    var iops: Double
    var deviceUsPerIO: Double?
  }

  /// What the loop measured: its time per I/O and the device's own in its run, beside fio's, and the
  /// per-I/O time they give.
  public struct Measurement: Sendable, Equatable {
    public var perIO: SimTime
    public var loopUsPerIO: Double
    public var loopDeviceUsPerIO: Double?
    public var fioUsPerIO: Double
    public var fioDeviceUsPerIO: Double?

    /// One line for the profile's comments.
    var summary: String {
      func device(_ us: Double?) -> String { us.map { String(format: " (device %.1f)", $0) } ?? "" }
      return String(format: "io_us: the loop %.1f us per I/O", loopUsPerIO) + device(loopDeviceUsPerIO)
        + String(format: ", fio %.1f", fioUsPerIO) + device(fioDeviceUsPerIO)
        + String(format: ": %.3f us", perIO.seconds * 1e6)
    }
  }

  /// The per-I/O time, given fio's reads and the engine's cost per request.
  func measure(fio: FioReads, engineCPU: EngineCPUCost) throws -> Measurement {
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let chain = ChainSpec(depth: 1, virtualSize: virtualSize, baseFill: 1, writesPerSnapshot: 0, seed: seed)
    let workload = WorkloadSpec(readFraction: 1, arrivals: .closedLoop(ioDepth: 1))
    let run = try RealChainRun(
      chain: chain, workload: workload, engine: DiskValidation.engine, seed: seed, requests: requests
    ).run(in: folder)
    let device = HostDiskLoad(runs: [(run.hostDisk, run.requests.count, run.elapsedSeconds)])
    var drift = 0.0
    if let loop = device?.usPerIO, let fio = fio.deviceUsPerIO, loop > 0, fio > 0 {
      drift = (loop - fio) / 1e6
    }
    let perIO = Self.perIO(
      elapsedSeconds: run.elapsedSeconds, requests: run.requests.count, physicalIOs: run.physicalIOs,
      fioReadIOPS: fio.iops, engineCPU: engineCPU, deviceDriftSeconds: drift)
    return Measurement(
      perIO: perIO, loopUsPerIO: run.elapsedSeconds / Double(Swift.max(1, run.physicalIOs)) * 1e6,
      loopDeviceUsPerIO: device?.usPerIO, fioUsPerIO: 1e6 / fio.iops, fioDeviceUsPerIO: fio.deviceUsPerIO)
  }

  /// (elapsed / I/Os − 1 / fio's IOPS − how much longer the device itself took per I/O in the loop's
  /// run than in fio's − the engine's time per request × requests / I/Os), at least zero: the loop's
  /// time per I/O beyond fio's, less what `engine_cpu` charges already (one level probed per request
  /// of a one-level chain).
  static func perIO(
    elapsedSeconds: Double, requests: Int, physicalIOs: Int, fioReadIOPS: Double, engineCPU: EngineCPUCost,
    deviceDriftSeconds: Double = 0
  ) -> SimTime {
    guard physicalIOs > 0, fioReadIOPS > 0, elapsedSeconds > 0 else { return .zero }
    let ios = Double(physicalIOs)
    let engine = engineCPU.time(levels: 1).seconds * Double(requests) / ios
    let extra = elapsedSeconds / ios - 1 / fioReadIOPS - deviceDriftSeconds - engine
    return SimTime(nanoseconds: Int64((Swift.max(0, extra) * 1e9).rounded()))
  }
}

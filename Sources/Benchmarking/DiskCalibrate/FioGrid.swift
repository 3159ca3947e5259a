// SPDX-License-Identifier: GPL-3.0-or-later

/// One point of the calibration grid: a direction, an access pattern, a block size and a queue depth,
/// run as one fio job with O_DIRECT.
///
/// Queue depth is kept by `iodepth` threads each issuing synchronous `pread`/`pwrite` (fio's psync
/// engine with `numjobs`, reported as one group), which is how `vhdsim validate` drives the engine and
/// how tapdisk's worker model looks to the device; fio reports completion latency per I/O.
public struct FioJob: Sendable, Equatable {
  public var isWrite: Bool
  public var random: Bool
  public var blockBytes: UInt64
  public var queueDepth: Int
  /// Runs on a fresh sparse file (`--fallocate=none`), so nearly every write lands in a hole and the
  /// file system allocates for it (docs/simulation.md#file-system-allocation).
  public var sparse: Bool

  public init(isWrite: Bool, random: Bool, blockBytes: UInt64, queueDepth: Int, sparse: Bool = false) {
    self.isWrite = isWrite
    self.random = random
    self.blockBytes = blockBytes
    self.queueDepth = queueDepth
    self.sparse = sparse
  }

  /// fio's `rw=` value.
  public var rw: String { (random ? "rand" : "") + (isWrite ? "write" : "read") }

  /// `randread-4k-qd1`.
  public var name: String { (sparse ? "alloc-" : "") + "\(rw)-\(blockBytes >> 10)k-qd\(queueDepth)" }

  /// fio's arguments for this job on `file` of `sizeBytes`, running `seconds` after `rampSeconds`.
  public func arguments(file: String, sizeBytes: UInt64, seconds: Int, rampSeconds: Int) -> [String] {
    [
      "--name=\(name)", "--filename=\(file)", "--size=\(sizeBytes)", "--direct=1", "--ioengine=psync",
      "--rw=\(rw)", "--bs=\(blockBytes)", "--numjobs=\(queueDepth)", "--thread", "--group_reporting",
      "--time_based", "--runtime=\(seconds)", "--ramp_time=\(rampSeconds)", "--randrepeat=1",
      "--norandommap", "--output-format=json",
    ] + (sparse ? ["--fallocate=none"] : [])
  }

  /// Random 4 KiB writes into a fresh sparse file at depth 1 (the allocating-write latency the fit
  /// takes) and 8 (how allocating writes serialise, shown beside the model's figure).
  public static let allocationJobs = [1, 8].map {
    FioJob(isWrite: true, random: true, blockBytes: 4096, queueDepth: $0, sparse: true)
  }

  /// The grid: read and write; 4 KiB, 64 KiB, 1 MiB; random and sequential; queue depths 1, 8
  /// and 32 (`quick`: 1 and 32).
  public static func grid(quick: Bool) -> [FioJob] {
    var jobs: [FioJob] = []
    for isWrite in [false, true] {
      for random in [true, false] {
        for kib: UInt64 in [4, 64, 1024] {
          for qd in quick ? [1, 32] : [1, 8, 32] {
            jobs.append(FioJob(isWrite: isWrite, random: random, blockBytes: kib << 10, queueDepth: qd))
          }
        }
      }
    }
    return jobs
  }
}

/// A grid point and what fio measured there.
public struct FioMeasurement: Sendable, Equatable {
  public var job: FioJob
  public var result: FioResult
  public init(job: FioJob, result: FioResult) {
    self.job = job
    self.result = result
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// One point of the calibration grid: a direction, an access pattern, a block size and a queue depth,
/// run as one fio job with O_DIRECT.
///
/// The queue depth is kept the way tapdisk keeps it: one thread with Linux native AIO, `iodepth` I/Os
/// in flight (fio's libaio engine, `numjobs` 1). tapdisk drives every image from its one event-loop
/// thread through `io_submit` and collects completions with `io_getevents` when the AIO context's
/// eventfd fires (xapi-project/blktap `drivers/libaio-backend.c`, `get_libaio_backend()` in
/// `drivers/tapdisk-server.c`). fio reports the total latency per I/O (`lat_ns`: submission plus
/// completion, what the caller waits for) and the submission latency (`slat_ns`: the time inside
/// `io_submit`, where a write into a file hole does the file system's allocation).
public struct FioJob: Sendable, Equatable {
  public var isWrite: Bool
  public var random: Bool
  public var blockBytes: UInt64
  public var queueDepth: Int
  /// Runs on a fresh sparse file (`--fallocate=none`), so nearly every write lands in a hole and the
  /// file system allocates for it (docs/simulation.md#file-system-allocation).
  public var sparse: Bool
  /// A mixed job's share of reads, percent (fio's `rwmixread`): reads and writes together, `isWrite`
  /// false; nil: one direction.
  public var readPercent: Int?
  /// Submitted and collected in batches of `queueDepth`, as tapdisk's loop does when its device
  /// completes in rounds: one `io_submit` for the batch, and `io_getevents` waits for all of it
  /// (fio's `iodepth_batch_submit` and `iodepth_batch_complete_min`; docs/simulation.md#completion-rounds).
  public var batched: Bool

  public init(
    isWrite: Bool, random: Bool, blockBytes: UInt64, queueDepth: Int, sparse: Bool = false,
    readPercent: Int? = nil, batched: Bool = false
  ) {
    self.batched = batched
    self.isWrite = isWrite
    self.random = random
    self.blockBytes = blockBytes
    self.queueDepth = queueDepth
    self.sparse = sparse
    self.readPercent = readPercent
  }

  /// Reads and writes together (fio measures each direction apart).
  public var isMixed: Bool { readPercent != nil }

  /// fio's `rw=` value.
  public var rw: String { (random ? "rand" : "") + (isMixed ? "rw" : isWrite ? "write" : "read") }

  /// `randread-4k-qd1`; a mixed job `randrw70-4k-qd8` (70 % reads).
  public var name: String {
    (sparse ? "alloc-" : "") + (batched ? "batch-" : "") + rw + (readPercent.map { "\($0)" } ?? "")
      + "-\(blockBytes >> 10)k-qd\(queueDepth)"
  }

  /// fio's arguments for this job on `file` of `sizeBytes`, running `seconds` after `rampSeconds`.
  ///
  /// fio's libaio defaults are kept: `iodepth_batch_submit` 1 (each I/O is submitted with its own
  /// `io_submit` as soon as it is ready; tapdisk submits whatever it has queued each time round its
  /// event loop), `iodepth_batch_complete_min` 1 (`io_getevents` waits for at least one completion)
  /// and `iodepth_low` = `iodepth` (the queue is refilled after every completion, so `iodepth` I/Os
  /// stay in flight).
  public func arguments(file: String, sizeBytes: UInt64, seconds: Int, rampSeconds: Int) -> [String] {
    [
      "--name=\(name)", "--filename=\(file)", "--size=\(sizeBytes)", "--direct=1", "--ioengine=libaio",
      "--iodepth=\(queueDepth)", "--rw=\(rw)", "--bs=\(blockBytes)", "--time_based", "--runtime=\(seconds)",
      "--ramp_time=\(rampSeconds)", "--randrepeat=1", "--norandommap", "--lat_percentiles=1",
      "--slat_percentiles=1", "--output-format=json",
    ] + (sparse ? ["--fallocate=none"] : []) + (readPercent.map { ["--rwmixread=\($0)"] } ?? [])
      + (batched
        ? ["--iodepth_batch_submit=\(queueDepth)", "--iodepth_batch_complete_min=\(queueDepth)"] : [])
  }

  /// Random 4 KiB reads, writes, and the 70/30 mix, in batches of 8 and 32 (`quick`: 32): how long
  /// a round of that many takes on a device that completes in rounds (`batch_scaling`,
  /// docs/simulation.md#completion-rounds).
  public static func batchedJobs(quick: Bool) -> [FioJob] {
    (quick ? [32] : [8, 32]).flatMap { depth in
      [(false, nil), (true, nil), (false, 70)].map { (isWrite: Bool, read: Int?) in
        FioJob(
          isWrite: isWrite, random: true, blockBytes: 4096, queueDepth: depth, readPercent: read,
          batched: true)
      }
    }
  }

  /// Random 4 KiB reads and writes together, 70 % reads (the validation's and the guest mix),
  /// on the written file at depths 8 and 32 (`quick`: 32): how a mix in flight slows each direction
  /// beyond what it does alone (docs/simulation.md#queue-depth-scaling). Depth 1 is not run: one I/O
  /// in flight has no mix.
  public static func mixedJobs(quick: Bool) -> [FioJob] {
    (quick ? [32] : [8, 32]).map {
      FioJob(isWrite: false, random: true, blockBytes: 4096, queueDepth: $0, readPercent: 70)
    }
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
  /// The host device's own view of the job, where the kernel counts it (`HostDiskLoad`: its I/Os per
  /// fio I/O, mean queue and time per I/O over the fio process's run).
  public var hostDisk: HostDiskLoad?
  public init(job: FioJob, result: FioResult, hostDisk: HostDiskLoad? = nil) {
    self.job = job
    self.result = result
    self.hostDisk = hostDisk
  }
}

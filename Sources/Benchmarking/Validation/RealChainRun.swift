// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import StorageRepository
import VHD
import Workloads

#if canImport(Glibc)
  import Glibc
#endif

/// The real half of a validation case: a chain built by `ChainSpec` in a folder on the device, then
/// `requests` guest requests from the built-in workload (the same generator and seed the simulated
/// pool uses) served by the VHD engine over `DirectFileStorage`, driven as tapdisk drives it: one
/// thread, Linux native AIO, `iodepth` requests outstanding (`TapdiskLoop`). Every request's
/// wall-clock latency is kept, from when the loop takes it to the completion of its last I/O.
struct RealChainRun {
  var chain: ChainSpec
  var workload: WorkloadSpec
  var engine: EngineOptions
  var seed: UInt64
  var requests: Int

  /// Builds the chain under `folder` (removed first if present, so every run starts from a fresh
  /// chain: the same content for the same seed, none of it allocated or cached by an earlier run)
  /// with buffered I/O, syncs it to the device and drops its pages from the page cache, then runs
  /// the requests. Dropped because tapdisk's files carry no cached pages (it reads and writes them
  /// with O_DIRECT), and a direct write over cached pages costs the kernel an invalidation of them
  /// on every submission: a quarter of the loop's write submissions before the drop (perf, 6 December).
  func run(in folder: String) throws -> ChainRunResult {
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let sr = SR(
      storage: FileStorage(), directory: folder, kind: .file, capacity: 1 << 50, engineOptions: engine,
      stamps: StampSequence(seed: seed))
    let uuid = try chain.build(in: sr, nameLabel: "vdi")
    let path = sr.path(of: uuid)
    sync()
    try dropCachedPages(under: folder)
    let queue = try DeferredIOQueue()
    let storage = DirectFileStorage(queue: queue)
    let vhd = try VHDChain.open(path, storage: storage, writable: true, options: engine)
    guard case .closedLoop(let depth) = workload.arrivals else {
      throw PoolError("validation needs a closed loop")
    }
    let loop = try TapdiskLoop(
      chain: vhd, queue: queue,
      generator: try workload.generator(virtualSize: chain.virtualSize, seed: seed), total: requests,
      depth: depth)
    queue.parksMetadataReads = true
    let start = DispatchTime.now().uptimeNanoseconds
    let cpuStart = Self.threadCPUSeconds()
    let diskBefore = HostDiskCounters.of(path: folder)
    var failure: (any Error)?
    do { try loop.run() } catch { failure = error }
    let busy = Self.threadCPUSeconds() - cpuStart
    let diskAfter = HostDiskCounters.of(path: folder)
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    queue.parksMetadataReads = false
    try close(vhd, queue: queue)
    if let failure { throw failure }
    return ChainRunResult(
      requests: loop.done, elapsedSeconds: elapsed, physicalIOs: loop.physicalIOs, threadBusySeconds: busy,
      threadWaitingSeconds: loop.waitingSeconds, submitSeconds: loop.submitSeconds,
      hostDisk: diskBefore.flatMap { before in diskAfter?.since(before) },
      inFlightSeconds: loop.inFlightSeconds,
      iosTimed: loop.iosCollected, collections: loop.collections)
  }

  /// The calling thread's processor time (user and system), in seconds.
  static func threadCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
  }

  /// Asks the kernel to drop the (clean, synced) cached pages of every file under `folder`.
  private func dropCachedPages(under folder: String) throws {
    for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
      let path = folder + "/" + name
      let fd = open(path, O_RDONLY | O_CLOEXEC)
      guard fd >= 0 else { throw StorageError(.system(errno), path: path) }
      defer { Glibc.close(fd) }
      let r = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
      guard r == 0 else { throw StorageError(.system(r), path: path) }
    }
  }

  /// Closes the chain with buffers of its own and issues the writes the close deferred (footer, BAT
  /// map) in order.
  private func close(_ vhd: VHDChain, queue: DeferredIOQueue) throws {
    guard let staging = UnsafeMutableRawPointer.aligned(DeferredIOQueue.bounceBytes),
      let bounce = UnsafeMutableRawPointer.aligned(DeferredIOQueue.bounceBytes)
    else { throw StorageError(.system(ENOMEM), path: "close buffers") }
    defer {
      free(staging)
      free(bounce)
    }
    queue.begin(staging: staging)
    try vhd.close()
    try DeferredIOQueue.run(queue.pending[...], bounce: bounce)
  }
}

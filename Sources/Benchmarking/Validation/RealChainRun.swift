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
/// pool uses) served by the VHD engine over `DirectFileStorage` with `iodepth` worker threads, each
/// keeping one request outstanding (fio's closed loop). Every request's wall-clock latency is kept,
/// from the moment its worker takes it to the completion of its last I/O.
struct RealChainRun {
  var chain: ChainSpec
  var workload: WorkloadSpec
  var engine: EngineOptions
  var seed: UInt64
  var requests: Int

  /// Builds the chain under `folder` (removed first if present, so every run starts from a fresh
  /// chain: the same content for the same seed, none of it allocated or cached by an earlier run)
  /// with buffered I/O, syncs it to the device, then runs the requests.
  func run(in folder: String) throws -> ChainRunResult {
    try? FileManager.default.removeItem(atPath: folder)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let sr = SR(
      storage: FileStorage(), directory: folder, kind: .file, capacity: 1 << 50, engineOptions: engine,
      stamps: StampSequence(seed: seed))
    let uuid = try chain.build(in: sr, nameLabel: "vdi")
    let path = sr.path(of: uuid)
    sync()
    let queue = try DeferredIOQueue()
    let storage = DirectFileStorage(queue: queue)
    let vhd = try VHDChain.open(path, storage: storage, writable: true, options: engine)
    guard case .closedLoop(let depth) = workload.arrivals else {
      throw PoolError("validation needs a closed loop")
    }
    let shared = SharedRun(
      chain: vhd, queue: queue,
      generator: try workload.generator(virtualSize: chain.virtualSize, seed: seed), total: requests)
    queue.parksMetadataReads = true
    let start = DispatchTime.now().uptimeNanoseconds
    let group = DispatchGroup()
    for _ in 0..<depth {
      group.enter()
      let thread = Thread {
        shared.work()
        group.leave()
      }
      thread.stackSize = 1 << 20
      thread.start()
    }
    group.wait()
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    queue.parksMetadataReads = false
    try close(vhd, queue: queue)
    if let failure = shared.failure { throw failure }
    return ChainRunResult(requests: shared.done, elapsedSeconds: elapsed, physicalIOs: shared.physicalIOs)
  }

  /// Closes the chain with buffers of its own (the workers' are gone) and issues the writes the close
  /// deferred (footer, BAT map).
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

/// What the workers share: the engine (single-threaded) and the generator behind the engine lock,
/// the finished requests behind their own.
final class SharedRun: @unchecked Sendable {
  let chain: VHDChain
  let queue: DeferredIOQueue
  var generator: any RequestGenerator
  let total: Int
  var issued = 0
  var done: [RequestClassComparison.Request] = []
  var physicalIOs = 0
  var failure: (any Error)?
  /// The engine lock: the engine, the generator, `issued`, `failure`.
  let lock = NSLock()
  /// Guards `done` only, so that a worker finishing a request never waits for the engine: tapdisk's
  /// completions do not wait behind another request's metadata read either.
  let recordLock = NSLock()

  init(chain: VHDChain, queue: DeferredIOQueue, generator: any RequestGenerator, total: Int) {
    self.chain = chain
    self.queue = queue
    self.generator = generator
    self.total = total
    done.reserveCapacity(total)
  }

  /// One worker: take a request, run the engine on it under the lock (reading any metadata sector
  /// it stops at outside the lock, then running it again), issue its deferred I/O outside.
  func work() {
    guard let staging = UnsafeMutableRawPointer.aligned(DeferredIOQueue.bounceBytes),
      let bounce = UnsafeMutableRawPointer.aligned(DeferredIOQueue.bounceBytes),
      let guest = UnsafeMutableRawPointer.aligned(DeferredIOQueue.bounceBytes),
      let prefetch = UnsafeMutableRawPointer.aligned(DeferredIOQueue.bounceBytes)
    else { return }
    defer {
      free(staging)
      free(bounce)
      free(guest)
      free(prefetch)
    }
    memset(guest, 0x3C, DeferredIOQueue.bounceBytes)
    var mine: [DeferredIO] = []
    mine.reserveCapacity(64)
    var accounting = RequestAccounting()
    while true {
      let t0 = DispatchTime.now().uptimeNanoseconds
      lock.lock()
      guard failure == nil, issued < total, let r = generator.next(now: .zero) else {
        lock.unlock()
        return
      }
      issued += 1
      var metadata = prefetch
      var rounds = 0
      while true {
        queue.begin(staging: staging)
        do {
          if r.operation == .write {
            try chain.write(sector: r.lba, count: r.sectors, from: guest, accounting: &accounting)
          } else if r.operation == .read {
            try chain.read(sector: r.lba, count: r.sectors, into: guest, accounting: &accounting)
          }
          break
        } catch {
          guard var read = queue.miss, metadata + read.count <= prefetch + DeferredIOQueue.bounceBytes else {
            failure = error
            queue.dropPrefetched(owner: staging)
            lock.unlock()
            return
          }
          // The engine waits for a metadata sector: read it without the engine lock, then again.
          lock.unlock()
          read.target = metadata
          do {
            try DeferredIOQueue.transfer(
              fd: read.fd, offset: read.offset, count: read.count, isWrite: false, bounce: metadata,
              name: "metadata")
          } catch {
            lock.lock()
            failure = error
            queue.dropPrefetched(owner: staging)
            lock.unlock()
            return
          }
          metadata += (read.count + 4095) / 4096 * 4096
          rounds += 1
          queue.prefetch(read, owner: staging)
          lock.lock()
        }
      }
      queue.dropPrefetched(owner: staging)
      // The I/Os issued: the last engine call's, less the metadata reads it took from earlier
      // rounds, plus those rounds' reads.
      let ios = queue.ios - queue.servedFromPrefetch + rounds
      physicalIOs += ios
      mine.removeAll(keepingCapacity: true)
      mine.append(contentsOf: queue.pending)
      queue.handOver(owner: staging)
      lock.unlock()
      do { try DeferredIOQueue.run(mine[...], bounce: bounce) } catch {
        lock.lock()
        queue.retire(owner: staging)
        failure = error
        lock.unlock()
        return
      }
      let t1 = DispatchTime.now().uptimeNanoseconds
      queue.retire(owner: staging)
      recordLock.lock()
      done.append(.init(isWrite: r.operation == .write, physicalIOs: ios, latencyNs: Double(t1 - t0)))
      recordLock.unlock()
    }
  }
}

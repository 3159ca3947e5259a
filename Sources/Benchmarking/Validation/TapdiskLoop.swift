// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import Simulation
import VHD
import Workloads

#if canImport(Glibc)
  import Glibc
#endif

/// The real run's requests served the way tapdisk serves a VDI: one thread, an event loop over Linux
/// native AIO (blktap drivers/libaio-backend.c, `io_submit` and `io_getevents`), `depth` guest
/// requests outstanding (fio's closed loop, as the simulated pool keeps them).
///
/// Each outstanding request has a slot with its buffers. The engine runs on the loop's thread, one
/// call at a time; a call that stops at a metadata sector its bitmap cache lacks (`DeferredIOQueue`
/// says which) parks the request: the read is submitted and the engine is called again when it
/// completes, while other requests go on, as tapdisk parks a request behind a bitmap read. The I/Os
/// an engine call leaves (guest data, then the bitmap, BAT and footer writes in the engine's order)
/// are issued one after another, each once the one before completed, as tapdisk issues a block's
/// bitmap write after its data write. As in tapdisk's server loop, the I/Os one turn of the loop
/// queues (for every completion it collected) go to the kernel together in one `io_submit`
/// (tapdisk-server.c `tapdisk_server_iterate`); tapdisk also merges adjacent ones, which random
/// requests seldom give and this loop does not do. A zeroing (the engine's punch of a new block) is
/// a system call the loop makes in place. A request's latency runs from when its slot takes it to
/// the completion of its last I/O.
final class TapdiskLoop {
  let chain: VHDChain
  let queue: DeferredIOQueue
  var generator: any RequestGenerator
  let total: Int
  private(set) var done: [RequestClassComparison.Request] = []
  private(set) var physicalIOs = 0
  private var issued = 0
  private let aio: NativeAIO
  /// Reused by every engine call (the chain resets it): nothing on the loop allocates per request.
  private var accounting = RequestAccounting()
  private var slots: [Slot] = []

  /// One outstanding request and its buffers (aligned for O_DIRECT, `DeferredIOQueue.bounceBytes`
  /// each): `staging` holds its deferred writes, `bounce` a data read, `metadata` the metadata
  /// sectors read for it.
  struct Slot {
    var staging: UnsafeMutableRawPointer
    var bounce: UnsafeMutableRawPointer
    var metadata: UnsafeMutableRawPointer
    var request = GuestRequest(time: .zero, sequence: 0, operation: .read, lba: 0, sectors: 0)
    var started: UInt64 = 0
    /// Where the next metadata read of this request goes in `metadata`.
    var metadataUsed = 0
    var rounds = 0
    var ios = 0
    /// The metadata read the request is parked on.
    var parkedOn: DeferredIO?
    /// The engine call's deferred I/Os, and the next to submit.
    var pending: [DeferredIO] = []
    var next = 0
  }

  init(chain: VHDChain, queue: DeferredIOQueue, generator: any RequestGenerator, total: Int, depth: Int)
    throws
  {
    self.chain = chain
    self.queue = queue
    self.generator = generator
    self.total = total
    aio = try NativeAIO(depth: depth)
    done.reserveCapacity(total)
    for _ in 0..<depth {
      guard let s = UnsafeMutableRawPointer.aligned(DeferredIOQueue.bounceBytes),
        let b = UnsafeMutableRawPointer.aligned(DeferredIOQueue.bounceBytes),
        let m = UnsafeMutableRawPointer.aligned(DeferredIOQueue.bounceBytes)
      else { throw StorageError(.system(ENOMEM), path: "request buffers") }
      var slot = Slot(staging: s, bounce: b, metadata: m)
      slot.pending.reserveCapacity(64)
      slots.append(slot)
    }
    guest = UnsafeMutableRawPointer.aligned(DeferredIOQueue.bounceBytes)
    guard guest != nil else { throw StorageError(.system(ENOMEM), path: "guest buffer") }
    memset(guest, 0x3C, DeferredIOQueue.bounceBytes)
  }

  /// The guest's buffer: what writes carry (its bytes) and where reads land (nobody looks).
  private let guest: UnsafeMutableRawPointer!

  deinit {
    // The kernel may still write into the buffers until the context is destroyed.
    aio.destroy()
    for s in slots {
      free(s.staging)
      free(s.bounce)
      free(s.metadata)
    }
    free(guest)
  }

  /// The loop's wall-clock time in io_submit and waiting in io_getevents, seconds.
  var submitSeconds: Double { Double(aio.submitNanoseconds) / 1e9 }
  var waitingSeconds: Double { Double(aio.waitNanoseconds) / 1e9 }
  /// The AIO requests' time in flight, from their io_submit to the io_getevents that collected
  /// them, summed, seconds; and how many were collected.
  var inFlightSeconds: Double { Double(aio.inFlightNanoseconds) / 1e9 }
  var iosCollected: Int { aio.collected }
  /// The io_getevents calls made, and the completions they returned.
  var collections: CollectionCounts { CollectionCounts(calls: aio.reaps, completions: aio.collected) }

  /// Serves `total` requests. On an error nothing new starts; what is in flight is collected before
  /// the error is thrown (the kernel still writes into the slots' buffers until then).
  func run() throws {
    var failure: (any Error)?
    for i in slots.indices {
      do { try startNext(i) } catch {
        failure = error
        break
      }
    }
    if failure == nil {
      do { try aio.submitQueued() } catch { failure = error }
    }
    // If the wait itself fails, the error is thrown at once; deinit then destroys the context,
    // which waits for what is still in flight, before it frees the buffers.
    while aio.inFlight > 0 {
      try aio.reap { tag, result in
        guard failure == nil else { return }
        do { try self.completed(Int(tag), result: result) } catch { failure = error }
      }
      if failure == nil {
        do { try aio.submitQueued() } catch { failure = error }
      }
    }
    if let failure { throw failure }
  }

  /// Gives slot `i` the workload's next request, if any is left.
  private func startNext(_ i: Int) throws {
    guard issued < total, let r = generator.next(now: .zero) else { return }
    issued += 1
    slots[i].request = r
    slots[i].started = DispatchTime.now().uptimeNanoseconds
    slots[i].metadataUsed = 0
    slots[i].rounds = 0
    try callEngine(i)
  }

  /// Runs the engine on slot `i`'s request: it parks on a metadata read, or leaves its I/Os to issue.
  private func callEngine(_ i: Int) throws {
    let r = slots[i].request
    queue.begin(staging: slots[i].staging)
    do {
      if r.operation == .write {
        try chain.write(sector: r.lba, count: r.sectors, from: guest, accounting: &accounting)
      } else if r.operation == .read {
        try chain.read(sector: r.lba, count: r.sectors, into: guest, accounting: &accounting)
      }
    } catch {
      guard var read = queue.miss,
        slots[i].metadataUsed + read.count <= DeferredIOQueue.bounceBytes
      else {
        queue.dropPrefetched(owner: slots[i].staging)
        throw error
      }
      read.target = slots[i].metadata + slots[i].metadataUsed
      slots[i].metadataUsed += (read.count + 4095) / 4096 * 4096
      slots[i].rounds += 1
      slots[i].parkedOn = read
      aio.queue(
        fd: read.fd, isWrite: false, buffer: read.target, count: read.count, offset: read.offset,
        tag: UInt64(i), name: "metadata")
      return
    }
    queue.dropPrefetched(owner: slots[i].staging)
    // The I/Os issued: the last engine call's, less the metadata reads it took from earlier
    // rounds, plus those rounds' reads.
    slots[i].ios = queue.ios - queue.servedFromPrefetch + slots[i].rounds
    slots[i].pending.removeAll(keepingCapacity: true)
    slots[i].pending.append(contentsOf: queue.pending)
    slots[i].next = 0
    queue.handOver(owner: slots[i].staging)
    try issueNext(i)
  }

  /// Submits slot `i`'s next deferred I/O (zeroings are done in place); finishes the request when
  /// none is left.
  private func issueNext(_ i: Int) throws {
    while slots[i].next < slots[i].pending.count {
      let io = slots[i].pending[slots[i].next]
      if let device = io.zeroing {
        try device.writeZeros(at: io.offset, length: UInt64(io.count), kind: .data)
        slots[i].next += 1
        continue
      }
      aio.queue(
        fd: io.fd, isWrite: io.isWrite, buffer: io.isWrite ? io.target : slots[i].bounce, count: io.count,
        offset: io.offset, tag: UInt64(i), name: "data")
      return
    }
    let end = DispatchTime.now().uptimeNanoseconds
    queue.retire(owner: slots[i].staging)
    physicalIOs += slots[i].ios
    done.append(
      .init(
        isWrite: slots[i].request.operation == .write, physicalIOs: slots[i].ios,
        latencyNs: Double(end - slots[i].started)))
    try startNext(i)
  }

  /// Slot `i`'s I/O completed with `result` (bytes, or −errno).
  private func completed(_ i: Int, result: Int64) throws {
    if let read = slots[i].parkedOn {
      try Self.check(result, read, name: "metadata")
      slots[i].parkedOn = nil
      queue.prefetch(read, owner: slots[i].staging)
      try callEngine(i)
      return
    }
    let io = slots[i].pending[slots[i].next]
    try Self.check(result, io, name: "data")
    if !io.isWrite { io.target.copyMemory(from: slots[i].bounce, byteCount: io.count) }
    slots[i].next += 1
    try issueNext(i)
  }

  /// A completion moved all of `io`'s bytes, or is an error naming the range.
  private static func check(_ result: Int64, _ io: DeferredIO, name: String) throws {
    if result < 0 {
      throw DeviceError(.system(Int32(-result)), device: name, offset: io.offset, length: UInt64(io.count))
    }
    if result < io.count {
      throw DeviceError(
        .shortRead, device: name, offset: io.offset + UInt64(result),
        length: UInt64(io.count) - UInt64(result))
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import CFileOps
import VHD

#if canImport(Glibc)
  import Glibc
#endif

/// A Linux native AIO context (io_setup/io_submit/io_getevents), the interface tapdisk drives its
/// images with from one thread (blktap drivers/libaio-backend.c): requests go to the kernel
/// without blocking the caller (except where the file system makes the submission itself wait),
/// and their completions are collected in any order.
final class NativeAIO {
  private let context: UInt64
  private var events: [cfileops_aio_event]
  /// Requests queued for the next `submitQueued()`, and what each is (for errors).
  private var queued: [cfileops_aio_request] = []
  private var queuedNames: [StaticString] = []
  /// Requests submitted and not yet collected.
  private(set) var inFlight = 0
  /// Wall-clock time spent in io_submit (where ext4 may make the caller wait: an allocation, or an
  /// unaligned write's drain and completion) and in io_getevents waiting for completions, ns.
  private(set) var submitNanoseconds: UInt64 = 0
  private(set) var waitNanoseconds: UInt64 = 0
  /// Summed over collected requests, ns: from the start of the io_submit that took each to the
  /// return of the io_getevents that collected it, what fio's total latency times. With at most one
  /// request in flight a tag, kept per tag.
  private(set) var inFlightNanoseconds: UInt64 = 0
  private(set) var collected = 0
  /// io_getevents calls made (each returns at least one completion).
  private(set) var reaps = 0
  private var submittedAt: [UInt64]

  /// CLOCK_MONOTONIC, ns.
  static func now() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
  }

  /// A context for `depth` requests in flight.
  init(depth: Int) throws {
    var ctx: UInt64 = 0
    let r = cfileops_aio_setup(UInt32(Swift.max(1, depth)), &ctx)
    guard r == 0 else { throw StorageError(.system(-r), path: "io_setup") }
    context = ctx
    events = Array(repeating: cfileops_aio_event(), count: 64)
    submittedAt = Array(repeating: 0, count: Swift.max(1, depth))
    queued.reserveCapacity(Swift.max(1, depth))
    queuedNames.reserveCapacity(Swift.max(1, depth))
  }

  deinit { destroy() }

  private var destroyed = false

  /// Destroys the context; io_destroy waits for the requests still in flight, so their buffers may
  /// be freed after it. Idempotent.
  func destroy() {
    guard !destroyed else { return }
    destroyed = true
    _ = cfileops_aio_destroy(context)
  }

  /// Queues a pread or pwrite of `count` bytes at `offset` through `buffer` (aligned for O_DIRECT),
  /// tagged `tag` (below the context's depth, one request in flight a tag), for the next
  /// `submitQueued()`; `name` names it in an error.
  func queue(
    fd: Int32, isWrite: Bool, buffer: UnsafeMutableRawPointer, count: Int, offset: UInt64, tag: UInt64,
    name: StaticString
  ) {
    queued.append(
      cfileops_aio_request(
        data: tag, buffer: buffer, count: UInt64(count), offset: Int64(offset), fd: fd,
        is_write: isWrite ? 1 : 0))
    queuedNames.append(name)
  }

  /// Submits everything queued in one io_submit call (64 at most a call), as tapdisk submits what a
  /// turn of its event loop queued (blktap `libaio_backend_submit_all_tiocbs`). On an error, what
  /// was submitted before it is in flight and the rest is dropped.
  func submitQueued() throws {
    guard !queued.isEmpty else { return }
    let start = Self.now()
    defer {
      submitNanoseconds += Self.now() - start
      queued.removeAll(keepingCapacity: true)
      queuedNames.removeAll(keepingCapacity: true)
    }
    var from = 0
    while from < queued.count {
      let n = Swift.min(64, queued.count - from)
      let r = queued.withUnsafeBufferPointer {
        cfileops_aio_submit(context, $0.baseAddress! + from, Int32(n))
      }
      if r > 0 {
        inFlight += Int(r)
        for k in from..<(from + Int(r)) where queued[k].data < UInt64(submittedAt.count) {
          submittedAt[Int(queued[k].data)] = start
        }
      }
      guard r == n else {
        let failed = queued[from + Int(Swift.max(0, r))]
        throw DeviceError(
          .system(r < 0 ? -r : EIO), device: "\(queuedNames[from + Int(Swift.max(0, r))])",
          offset: UInt64(failed.offset), length: failed.count)
      }
      from += n
    }
  }

  /// Waits for at least one completion and calls `body(tag, result)` for each collected (result:
  /// bytes moved, or −errno).
  func reap(_ body: (UInt64, Int64) throws -> Void) throws {
    let start = Self.now()
    let n = events.withUnsafeMutableBufferPointer {
      cfileops_aio_getevents(context, 1, Int32($0.count), $0.baseAddress!)
    }
    let end = Self.now()
    waitNanoseconds += end - start
    guard n >= 0 else { throw StorageError(.system(-n), path: "io_getevents") }
    inFlight -= Int(n)
    reaps += 1
    for i in 0..<Int(n) where events[i].data < UInt64(submittedAt.count) {
      inFlightNanoseconds += end - submittedAt[Int(events[i].data)]
      collected += 1
    }
    for i in 0..<Int(n) { try body(events[i].data, events[i].res) }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import CFileOps
import VHD

/// A Linux native AIO context (io_setup/io_submit/io_getevents), the interface tapdisk drives its
/// images with from one thread (blktap drivers/libaio-backend.c): requests go to the kernel
/// without blocking the caller (except where the file system makes the submission itself wait),
/// and their completions are collected in any order.
final class NativeAIO {
  private let context: UInt64
  private var events: [cfileops_aio_event]
  /// Requests submitted and not yet collected.
  private(set) var inFlight = 0

  /// A context for `depth` requests in flight.
  init(depth: Int) throws {
    var ctx: UInt64 = 0
    let r = cfileops_aio_setup(UInt32(Swift.max(1, depth)), &ctx)
    guard r == 0 else { throw StorageError(.system(-r), path: "io_setup") }
    context = ctx
    events = Array(repeating: cfileops_aio_event(), count: 64)
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

  /// Submits a pread or pwrite of `count` bytes at `offset` through `buffer` (aligned for
  /// O_DIRECT), tagged `tag`.
  func submit(
    fd: Int32, isWrite: Bool, buffer: UnsafeMutableRawPointer, count: Int, offset: UInt64, tag: UInt64,
    name: String
  ) throws {
    let r = cfileops_aio_submit(context, fd, isWrite ? 1 : 0, buffer, UInt64(count), Int64(offset), tag)
    guard r == 0 else {
      throw DeviceError(.system(-r), device: name, offset: offset, length: UInt64(count))
    }
    inFlight += 1
  }

  /// Waits for at least one completion and calls `body(tag, result)` for each collected (result:
  /// bytes moved, or −errno).
  func reap(_ body: (UInt64, Int64) throws -> Void) throws {
    let n = events.withUnsafeMutableBufferPointer {
      cfileops_aio_getevents(context, 1, Int32($0.count), $0.baseAddress!)
    }
    guard n >= 0 else { throw StorageError(.system(-n), path: "io_getevents") }
    inFlight -= Int(n)
    for i in 0..<Int(n) { try body(events[i].data, events[i].res) }
  }
}

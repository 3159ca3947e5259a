// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import VHD

#if canImport(Glibc)
  import Glibc
#endif

/// A data I/O the engine asked for, to be issued by the worker that owns the request.
struct DeferredIO {
  var fd: Int32
  var offset: UInt64
  var count: Int
  var isWrite: Bool
  /// Reads: where the engine wanted the bytes. Writes: the bytes, in the worker's staging buffer.
  var target: UnsafeMutableRawPointer
  /// A zeroing (`count` bytes from `offset`) done through this device: a new block's punch and growth.
  var zeroing: SparseFileDevice? = nil
}

/// The state `DirectFileDevice`s share, used by the thread holding the engine lock (the writes in
/// flight also by workers retiring them, under a lock of their own): the current
/// request's I/O count, its deferred I/Os, the worker's staging buffer for deferred writes, and one
/// bounce buffer for metadata reads done at once. Nothing here allocates per request.
final class DeferredIOQueue {
  static let bounceBytes = 1 << 20
  var ios = 0
  private(set) var pending: [DeferredIO] = []
  /// Writes handed to workers and not yet known to be done, each with its worker's staging buffer:
  /// a metadata read of the same range is served from there, as tapdisk keeps a bitmap in memory
  /// while its write is in flight (reading the device could return the bitmap before that write).
  private var inFlight: [(owner: UnsafeMutableRawPointer, io: DeferredIO)] = []
  /// Guards `inFlight`: workers retire their writes without the engine lock.
  private let inFlightLock = NSLock()
  private var staging: UnsafeMutableRawPointer?
  private var stagingUsed = 0
  private let bounce: UnsafeMutableRawPointer

  init() throws {
    guard let b = UnsafeMutableRawPointer.aligned(Self.bounceBytes) else {
      throw StorageError(.system(ENOMEM), path: "bounce buffer")
    }
    bounce = b
    pending.reserveCapacity(64)
    inFlight.reserveCapacity(256)
  }

  deinit { free(bounce) }

  /// Starts a request: counts from zero, deferred writes go to `staging` (the worker's).
  func begin(staging: UnsafeMutableRawPointer) {
    ios = 0
    pending.removeAll(keepingCapacity: true)
    self.staging = staging
    stagingUsed = 0
  }

  func `defer`(_ io: DeferredIO) { pending.append(io) }

  func deferWrite(fd: Int32, offset: UInt64, bytes: UnsafeRawBufferPointer) throws {
    guard let staging, stagingUsed + bytes.count <= Self.bounceBytes else {
      throw StorageError(.system(E2BIG), path: "staging buffer")
    }
    let at = staging + stagingUsed
    at.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
    stagingUsed += (bytes.count + 4095) / 4096 * 4096
    pending.append(DeferredIO(fd: fd, offset: offset, count: bytes.count, isWrite: true, target: at))
  }

  /// The current request's deferred writes are now its worker's to issue (`owner`: its staging).
  func handOver(owner: UnsafeMutableRawPointer) {
    inFlightLock.lock()
    defer { inFlightLock.unlock() }
    for io in pending where io.isWrite && io.zeroing == nil { inFlight.append((owner, io)) }
  }

  /// The worker owning `owner` has issued everything it was handed.
  func retire(owner: UnsafeMutableRawPointer) {
    inFlightLock.lock()
    defer { inFlightLock.unlock() }
    inFlight.removeAll { $0.owner == owner }
  }

  func direct(fd: Int32, offset: UInt64, read buffer: UnsafeMutableRawBufferPointer, name: String) throws {
    inFlightLock.lock()
    if let staged = inFlight.last(where: {
      $0.io.fd == fd && $0.io.offset == offset && $0.io.count == buffer.count
    }) {
      // Copied under the lock: the owner may not reuse its staging until it has retired.
      buffer.baseAddress!.copyMemory(from: staged.io.target, byteCount: buffer.count)
      inFlightLock.unlock()
      return
    }
    inFlightLock.unlock()
    try Self.transfer(fd: fd, offset: offset, count: buffer.count, isWrite: false, bounce: bounce, name: name)
    buffer.baseAddress!.copyMemory(from: bounce, byteCount: buffer.count)
  }

  /// pread/pwrite of `count` bytes through an aligned `bounce`, retrying short transfers and EINTR.
  static func transfer(
    fd: Int32, offset: UInt64, count: Int, isWrite: Bool, bounce: UnsafeMutableRawPointer, name: String
  ) throws {
    var done = 0
    while done < count {
      let n =
        isWrite
        ? pwrite(fd, bounce + done, count - done, off_t(offset) + off_t(done))
        : pread(fd, bounce + done, count - done, off_t(offset) + off_t(done))
      if n > 0 {
        done += n
      } else if n == 0 {
        throw DeviceError(
          .shortRead, device: name, offset: offset + UInt64(done), length: UInt64(count - done))
      } else if errno != EINTR {
        throw DeviceError(
          .system(errno), device: name, offset: offset + UInt64(done), length: UInt64(count - done))
      }
    }
  }

  /// Issues deferred I/Os (outside the engine lock) with the worker's own `bounce` for reads.
  static func run(_ ios: ArraySlice<DeferredIO>, bounce: UnsafeMutableRawPointer) throws {
    for io in ios {
      if let device = io.zeroing {
        try device.writeZeros(at: io.offset, length: UInt64(io.count), kind: .data)
      } else if io.isWrite {
        try transfer(
          fd: io.fd, offset: io.offset, count: io.count, isWrite: true, bounce: io.target, name: "data")
      } else {
        try transfer(
          fd: io.fd, offset: io.offset, count: io.count, isWrite: false, bounce: bounce, name: "data")
        io.target.copyMemory(from: bounce, byteCount: io.count)
      }
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import VHD

#if canImport(Glibc)
  import Glibc
#endif

/// A data I/O the engine asked for, to be issued by the event loop for the request's slot.
struct DeferredIO {
  var fd: Int32
  var offset: UInt64
  var count: Int
  var isWrite: Bool
  /// Reads: where the engine wanted the bytes. Writes: the bytes, in the slot's staging buffer.
  var target: UnsafeMutableRawPointer
  /// A zeroing (`count` bytes from `offset`) done through this device: a new block's punch and growth.
  var zeroing: SparseFileDevice? = nil
}

/// The state `DirectFileDevice`s share with the event loop (`TapdiskLoop`, one thread, so no lock):
/// the current request's I/O count, its deferred I/Os, its slot's staging buffer for deferred
/// writes, the metadata sectors read for outstanding requests, and the read a request stopped at.
/// Nothing here allocates per request.
final class DeferredIOQueue {
  static let bounceBytes = 1 << 20
  var ios = 0
  /// Of `ios`, the metadata reads served from the request's own earlier reads (issued in an
  /// earlier round, and counted there).
  private(set) var servedFromPrefetch = 0
  private(set) var pending: [DeferredIO] = []
  /// Writes handed to the loop and not yet known to be done, each with its slot's staging buffer:
  /// a metadata read of the same range is served from there, as tapdisk keeps a bitmap in memory
  /// while its write is in flight (reading the device could return the bitmap before that write).
  private var inFlight: [(owner: UnsafeMutableRawPointer, io: DeferredIO)] = []
  /// Metadata sectors read for a slot's current request while it was parked, each with the slot's
  /// staging buffer as owner: the request's next engine call finds them here.
  private var prefetched: [(owner: UnsafeMutableRawPointer, io: DeferredIO)] = []
  /// The metadata read the current engine call stopped at (nil: none): the loop submits it and
  /// calls the engine again when it completes, as tapdisk parks a request until its bitmap read
  /// completes and serves others meanwhile.
  private(set) var miss: DeferredIO?
  /// Whether a metadata read the queue lacks stops the engine call (the loop's requests) or is
  /// read at once (opening and closing the chain).
  var parksMetadataReads = false
  private var staging: UnsafeMutableRawPointer?
  private var stagingUsed = 0
  private let bounce: UnsafeMutableRawPointer

  /// Thrown by a metadata read the queue does not hold yet (`miss` says which; the loop looks there,
  /// not at the error). A `VHDError` made once, because the engine passes one through as it is but
  /// describes any other error it wraps: that cost a tenth of the loop's time (perf, 6 December).
  static let metadataMiss = VHDError(.invalidArgument, file: "", "metadata read parked")

  init() throws {
    guard let b = UnsafeMutableRawPointer.aligned(Self.bounceBytes) else {
      throw StorageError(.system(ENOMEM), path: "bounce buffer")
    }
    bounce = b
    pending.reserveCapacity(64)
    inFlight.reserveCapacity(256)
    prefetched.reserveCapacity(256)
  }

  deinit { free(bounce) }

  /// Starts a request: counts from zero, deferred writes go to `staging` (its slot's).
  func begin(staging: UnsafeMutableRawPointer) {
    ios = 0
    servedFromPrefetch = 0
    miss = nil
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

  /// The current request's deferred writes are now in its slot's hands (`owner`: its staging).
  func handOver(owner: UnsafeMutableRawPointer) {
    for io in pending where io.isWrite && io.zeroing == nil {
      inFlight.append((owner, io))
      // A sector read earlier is stale once this write lands: read it again after.
      prefetched.removeAll {
        $0.io.fd == io.fd && $0.io.offset < io.offset + UInt64(io.count)
          && io.offset < $0.io.offset + UInt64($0.io.count)
      }
    }
  }

  /// The slot owning `owner` has completed everything it was handed.
  func retire(owner: UnsafeMutableRawPointer) {
    inFlight.removeAll { $0.owner == owner }
  }

  /// A metadata read by the engine: from a write in flight, or from the current request's own
  /// earlier read; otherwise it stops the engine call (`metadataMiss`) for the loop to read, or,
  /// outside the loop's requests, is read at once.
  func direct(fd: Int32, offset: UInt64, read buffer: UnsafeMutableRawBufferPointer, name: String) throws {
    let same = { (io: DeferredIO) in io.fd == fd && io.offset == offset && io.count == buffer.count }
    // A slot does not reuse its buffers before it retires or drops them.
    if let staged = inFlight.last(where: { same($0.io) }) {
      buffer.baseAddress!.copyMemory(from: staged.io.target, byteCount: buffer.count)
      return
    }
    if let owner = staging, let read = prefetched.last(where: { $0.owner == owner && same($0.io) }) {
      buffer.baseAddress!.copyMemory(from: read.io.target, byteCount: buffer.count)
      servedFromPrefetch += 1
      return
    }
    guard parksMetadataReads else {
      try Self.transfer(
        fd: fd, offset: offset, count: buffer.count, isWrite: false, bounce: bounce, name: name)
      buffer.baseAddress!.copyMemory(from: bounce, byteCount: buffer.count)
      return
    }
    miss = DeferredIO(fd: fd, offset: offset, count: buffer.count, isWrite: false, target: bounce)
    throw Self.metadataMiss
  }

  /// The slot owning `owner` read `io` (its bytes at `io.target`) for its current request.
  func prefetch(_ io: DeferredIO, owner: UnsafeMutableRawPointer) {
    prefetched.append((owner, io))
  }

  /// The slot owning `owner` is done with its request's metadata reads.
  func dropPrefetched(owner: UnsafeMutableRawPointer) {
    prefetched.removeAll { $0.owner == owner }
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

  /// Issues deferred I/Os synchronously, in order, with `bounce` for reads (closing the chain).
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

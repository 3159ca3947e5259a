// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import VHD

#if canImport(Glibc)
  import Glibc
#endif

/// The real side of `vhdsim validate`: the VHD files of a folder opened as tapdisk opens them, with
/// O_DIRECT, and the engine's I/O split as tapdisk splits it: reads of metadata (a bitmap the cache
/// lacks) done at once by the engine call, which needs them to go on; guest data and every write
/// (data, then the bitmap, BAT and footer updates, in the engine's order) and every zeroing queued in a
/// `DeferredIOQueue` for the event loop (`TapdiskLoop`) to submit once the engine call returns.
/// tapdisk's event loop likewise never waits for a write: it submits the data write and, once it
/// completes, the bitmap write, while it serves other requests. So the I/O of `iodepth` requests
/// overlaps on the device while the engine, on the loop's one thread, serves one call at a time.
///
/// This wraps the engine's devices instead of giving `SparseFileDevice` an O_DIRECT mode, so the
/// engine is unchanged: every read and write with a 512-aligned offset and length goes through an
/// O_DIRECT descriptor and an aligned bounce buffer; anything else, and zeroing, truncation and
/// space queries, through the engine's own `SparseFileDevice`.
final class DirectFileStorage: Storage {
  let files = FileStorage()
  let queue: DeferredIOQueue

  init(queue: DeferredIOQueue) { self.queue = queue }

  func open(_ path: String, writable: Bool) throws -> any BlockDevice {
    let plain = try SparseFileDevice.open(path: path, writable: writable)
    let fd = Glibc.open(path, (writable ? O_RDWR : O_RDONLY) | DirectIO.openFlag | O_CLOEXEC)
    guard fd >= 0 else { throw StorageError(.system(errno), path: path) }
    return DirectFileDevice(plain: plain, directFD: fd, queue: queue)
  }

  func create(_ path: String) throws -> any BlockDevice { try files.create(path) }
  func exists(_ path: String) -> Bool { files.exists(path) }
  func remove(_ path: String) throws { try files.remove(path) }
  func rename(_ from: String, to: String) throws { try files.rename(from, to: to) }
  func modificationTime(_ path: String) throws -> Int64 { try files.modificationTime(path) }
  func list(directory: String) throws -> [String] { try files.list(directory: directory) }
  func canonicalPath(_ path: String) -> String { files.canonicalPath(path) }
}

/// One engine device: metadata reads direct and immediate, data reads, all writes and zeroings deferred.
final class DirectFileDevice: BlockDevice {
  let plain: SparseFileDevice
  let directFD: Int32
  let queue: DeferredIOQueue

  init(plain: SparseFileDevice, directFD: Int32, queue: DeferredIOQueue) {
    self.plain = plain
    self.directFD = directFD
    self.queue = queue
  }

  deinit { Glibc.close(directFD) }

  var name: String { plain.name }
  var length: UInt64 { plain.length }
  var isWritable: Bool { plain.isWritable }
  var supportsConcurrentWrites: Bool { true }

  static func aligned(_ offset: UInt64, _ count: Int) -> Bool {
    offset % 512 == 0 && count % 512 == 0 && count <= DeferredIOQueue.bounceBytes
  }

  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    queue.ios += 1
    guard Self.aligned(offset, buffer.count) else {
      return try plain.read(into: buffer, at: offset, kind: kind)
    }
    if kind == .data {
      queue.defer(
        DeferredIO(
          fd: directFD, offset: offset, count: buffer.count, isWrite: false, target: buffer.baseAddress!))
    } else {
      try queue.direct(fd: directFD, offset: offset, read: buffer, name: name)
    }
  }

  func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    queue.ios += 1
    guard Self.aligned(offset, buffer.count) else { return try plain.write(buffer, at: offset, kind: kind) }
    try queue.deferWrite(fd: directFD, offset: offset, bytes: buffer)
  }

  /// Deferred like a write, in the request's order: tapdisk's event loop never waits on the file
  /// system while other requests could go on (it does not zero new blocks at all; this engine
  /// punches the old footer and grows the file, which ext4 does under the file's lock after the
  /// direct I/O in flight has drained).
  func writeZeros(at offset: UInt64, length: UInt64, kind: IOKind) throws {
    guard length > 0 else { return }
    queue.ios += 1
    guard length <= UInt64(Int.max) else {
      return try plain.writeZeros(at: offset, length: length, kind: kind)
    }
    queue.defer(
      DeferredIO(
        fd: directFD, offset: offset, count: Int(length), isWrite: true,
        target: UnsafeMutableRawPointer(bitPattern: 1)!,
        zeroing: plain))
  }

  func truncate(to length: UInt64) throws { try plain.truncate(to: length) }
  func flush() throws { try plain.flush() }
  func dataRegions(in range: Range<UInt64>) throws -> [Range<UInt64>] { try plain.dataRegions(in: range) }
  func preallocate(length: UInt64) throws { try plain.preallocate(length: length) }
}

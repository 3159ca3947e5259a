// SPDX-License-Identifier: GPL-3.0-or-later
import CFileOps

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A block device over a real, sparse file: what a VHD on an ext/NFS storage repository is.
///
/// Uses `pread`/`pwrite` directly (retrying short transfers and `EINTR`) so the I/O the engine
/// asks for is exactly the I/O the kernel sees. `writeZeros` punches holes inside the file and
/// extends it with `ftruncate` past its end, so zeroed ranges really are deallocated; where the
/// file system cannot punch, it writes zeros. `dataRegions` asks the file system with
/// `SEEK_DATA`/`SEEK_HOLE`. The length is read with `fstat` every time, so several handles on
/// one file agree. The descriptor is closed by `close()` or when the device goes away.
public final class SparseFileDevice: BlockDevice {
  /// Zeros for file systems that cannot punch holes; shared, never written.
  private static let zeros = [UInt8](repeating: 0, count: 256 << 10)

  public let name: String
  public let isWritable: Bool
  /// pwrite is positional and this class keeps no per-write state.
  public var supportsConcurrentWrites: Bool { true }
  /// The file descriptor; -1 once closed.
  private var fd: Int32

  /// Takes ownership of an open descriptor.
  init(fd: Int32, path: String, writable: Bool) {
    self.fd = fd
    self.name = path
    self.isWritable = writable
  }

  deinit {
    if fd >= 0 { closeDescriptor(fd) }
  }

  /// Opens an existing file, read-write or read-only.
  public static func open(path: String, writable: Bool) throws -> SparseFileDevice {
    let fd = openDescriptor(path, flags: writable ? O_RDWR : O_RDONLY)
    guard fd.errno == 0 else { throw DeviceError(.system(fd.errno), device: path) }
    return SparseFileDevice(fd: fd.fd, path: path, writable: writable)
  }

  /// Creates a new, empty file (mode 0644); fails with `EEXIST` if something is already there.
  public static func create(path: String) throws -> SparseFileDevice {
    let fd = openDescriptor(path, flags: O_RDWR | O_CREAT | O_EXCL)
    guard fd.errno == 0 else { throw DeviceError(.system(fd.errno), device: path) }
    return SparseFileDevice(fd: fd.fd, path: path, writable: true)
  }

  /// `open(2)` with close-on-exec, retried on `EINTR`; the errno is 0 on success.
  static func openDescriptor(_ path: String, flags: Int32) -> (fd: Int32, errno: Int32) {
    while true {
      let fd = openFile(path, flags | O_CLOEXEC, 0o644)
      if fd >= 0 { return (fd, 0) }
      if errno != EINTR { return (-1, errno) }
    }
  }

  /// Closes the descriptor now; later operations fail with `EBADF`.
  public func close() {
    if fd >= 0 { closeDescriptor(fd) }
    fd = -1
  }

  public var length: UInt64 {
    var status = stat()
    guard fd >= 0, fstat(fd, &status) == 0 else { return 0 }
    return UInt64(status.st_size)
  }

  /// Bytes the file system has allocated for the file (`st_blocks` × 512), to see holes at work.
  public var allocatedBytes: UInt64 {
    var status = stat()
    guard fd >= 0, fstat(fd, &status) == 0 else { return 0 }
    return UInt64(status.st_blocks) * 512
  }

  public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    _ = try DeviceSupport.end(of: offset, count: UInt64(buffer.count), device: name)
    var done = 0
    while done < buffer.count {
      let position = offset + UInt64(done)
      let got = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(position))
      if got > 0 {
        done += got
      } else if got == 0 {
        throw DeviceError(.shortRead, device: name, offset: position, length: UInt64(buffer.count - done))
      } else if errno != EINTR {
        throw DeviceError(.system(errno), device: name, offset: position, length: UInt64(buffer.count - done))
      }
    }
  }

  public func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    try DeviceSupport.checkWritable(isWritable, device: name, offset: offset, length: UInt64(buffer.count))
    _ = try DeviceSupport.end(of: offset, count: UInt64(buffer.count), device: name)
    var done = 0
    while done < buffer.count {
      let position = offset + UInt64(done)
      let put = pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(position))
      if put > 0 {
        done += put
      } else if put == 0 || errno != EINTR {
        let code = put == 0 ? EIO : errno
        throw DeviceError(.system(code), device: name, offset: position, length: UInt64(buffer.count - done))
      }
    }
    CrashSwitch.didWrite()
  }

  public func writeZeros(at offset: UInt64, length: UInt64, kind: IOKind) throws {
    try DeviceSupport.checkWritable(isWritable, device: name, offset: offset, length: length)
    let end = try DeviceSupport.end(of: offset, count: length, device: name)
    guard length > 0 else { return }
    let current = try currentLength()
    if offset < current {
      let inside = min(end, current)
      let result = cfileops_punch_hole(fd, Int64(offset), Int64(inside - offset))
      if result == -EOPNOTSUPP || result == -ENOSYS {
        try writeZeroBytes(from: offset, to: inside, kind: kind)
      } else if result < 0 {
        throw DeviceError(.system(-result), device: name, offset: offset, length: inside - offset)
      }
    }
    if end > current { try truncate(to: end) }
    CrashSwitch.didWrite()
  }

  /// fallocate(2) mode 0: the blocks exist afterwards, or the filesystem said it has no room.
  public func preallocate(length: UInt64) throws {
    guard length > 0 else { return }
    let result = cfileops_allocate(fd, 0, Int64(length))
    if result == -EOPNOTSUPP || result == -ENOSYS { return }  // a filesystem without fallocate
    if result < 0 { throw DeviceError(.system(-result), device: name, offset: 0, length: length) }
  }

  /// Writes zeros over `[offset, end)` from the shared zero buffer.
  private func writeZeroBytes(from offset: UInt64, to end: UInt64, kind: IOKind) throws {
    var position = offset
    try Self.zeros.withUnsafeBytes { zeros in
      while position < end {
        let count = Int(min(UInt64(zeros.count), end - position))
        try write(UnsafeRawBufferPointer(rebasing: zeros[..<count]), at: position, kind: kind)
        position += UInt64(count)
      }
    }
  }

  public func truncate(to length: UInt64) throws {
    try DeviceSupport.checkWritable(isWritable, device: name, offset: length, length: 0)
    _ = try DeviceSupport.end(of: length, count: 0, device: name)
    while ftruncate(fd, off_t(length)) != 0 {
      if errno != EINTR { throw DeviceError(.system(errno), device: name, offset: length) }
    }
    CrashSwitch.didWrite()
  }

  public func flush() throws {
    while fsync(fd) != 0 {
      if errno != EINTR { throw DeviceError(.system(errno), device: name) }
    }
  }

  public func dataRegions(in range: Range<UInt64>) throws -> [Range<UInt64>] {
    guard let wanted = DeviceSupport.clamp(range, to: try currentLength()) else { return [] }
    var regions: [Range<UInt64>] = []
    var position = wanted.lowerBound
    while position < wanted.upperBound {
      let data = cfileops_seek_data(fd, Int64(position))
      if data == -Int64(ENXIO) { break }
      if data < 0 {
        if data == -Int64(EINVAL) { return [wanted] }
        throw DeviceError(.system(Int32(-data)), device: name, offset: position)
      }
      if UInt64(data) >= wanted.upperBound { break }
      let hole = cfileops_seek_hole(fd, data)
      if hole < 0 {
        if hole == -Int64(EINVAL) { return [wanted] }
        throw DeviceError(.system(Int32(-hole)), device: name, offset: UInt64(data))
      }
      let upper = min(UInt64(hole), wanted.upperBound)
      DeviceSupport.appendMerging(max(UInt64(data), wanted.lowerBound)..<upper, to: &regions)
      position = max(upper, UInt64(data) + 1)
    }
    return regions
  }

  /// The file size, or the `fstat` error.
  private func currentLength() throws -> UInt64 {
    var status = stat()
    guard fstat(fd, &status) == 0 else { throw DeviceError(.system(errno), device: name) }
    return UInt64(status.st_size)
  }
}

/// `close(2)`, reachable from inside `SparseFileDevice` whose own `close()` hides the C one.
private func closeDescriptor(_ fd: Int32) {
  #if canImport(Glibc)
    _ = Glibc.close(fd)
  #else
    _ = Darwin.close(fd)
  #endif
}

/// `open(2)`, reachable from inside `SparseFileDevice` whose own `open` hides the C one.
private func openFile(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 {
  #if canImport(Glibc)
    Glibc.open(path, flags, mode)
  #else
    Darwin.open(path, flags, mode)
  #endif
}

// SPDX-License-Identifier: GPL-3.0-or-later
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The real file system as a `Storage`: a file-based storage repository. Files are opened as
/// `SparseFileDevice`s; creation is exclusive (`O_CREAT|O_EXCL`), renames are `rename(2)` (atomic
/// replace), times come from `stat`. Relative paths are relative to the process's working folder.
public final class FileStorage: Storage {
  public init() {}

  public func open(_ path: String, writable: Bool) throws -> any BlockDevice {
    let opened = SparseFileDevice.openDescriptor(path, flags: writable ? O_RDWR : O_RDONLY)
    guard opened.errno == 0 else { throw Self.failure(opened.errno, path) }
    return SparseFileDevice(fd: opened.fd, path: path, writable: writable)
  }

  public func create(_ path: String) throws -> any BlockDevice {
    let opened = SparseFileDevice.openDescriptor(path, flags: O_RDWR | O_CREAT | O_EXCL)
    guard opened.errno == 0 else { throw Self.failure(opened.errno, path) }
    CrashSwitch.didWrite()
    return SparseFileDevice(fd: opened.fd, path: path, writable: true)
  }

  public func exists(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0
  }

  public func remove(_ path: String) throws {
    guard unlink(path) == 0 else { throw Self.failure(errno, path) }
    CrashSwitch.didWrite()
  }

  public func rename(_ from: String, to: String) throws {
    guard renameFile(from, to) == 0 else {
      let code = errno
      throw Self.failure(code, code == ENOENT && !exists(from) ? from : to)
    }
    CrashSwitch.didWrite()
  }

  public func modificationTime(_ path: String) throws -> Int64 {
    var status = stat()
    guard stat(path, &status) == 0 else { throw Self.failure(errno, path) }
    #if canImport(Darwin)
      return Int64(status.st_mtimespec.tv_sec)
    #else
      return Int64(status.st_mtim.tv_sec)
    #endif
  }

  /// Entry names of `directory` (files and folders, without "." and ".."), sorted.
  public func list(directory: String) throws -> [String] {
    guard let stream = opendir(directory) else { throw Self.failure(errno, directory) }
    defer { closedir(stream) }
    var names: [String] = []
    while let entry = readdir(stream) {
      let name = withUnsafeBytes(of: &entry.pointee.d_name) { bytes in
        String(cString: bytes.baseAddress!.assumingMemoryBound(to: CChar.self))
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  /// `realpath` when the path exists; otherwise the lexical normalisation of its absolute form,
  /// with its longest existing ancestor resolved by `realpath` so that the answer does not change
  /// when the file is created.
  public func canonicalPath(_ path: String) -> String {
    if let resolved = Self.realPath(path) { return resolved }
    let lexical = PathNormalizer.normalize(path, relativeTo: Self.currentDirectory())
    var (directory, name) = PathNormalizer.split(lexical)
    var tail = [name]
    while directory != "/" {
      if let resolved = Self.realPath(directory) {
        return PathNormalizer.normalize(tail.reversed().joined(separator: "/"), relativeTo: resolved)
      }
      (directory, name) = PathNormalizer.split(directory)
      tail.append(name)
    }
    return lexical
  }

  private static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  private static func currentDirectory() -> String {
    guard let cwd = getcwd(nil, 0) else { return "/" }
    defer { free(cwd) }
    return String(cString: cwd)
  }

  /// A `StorageError` for an errno value: `.notFound` for `ENOENT`, `.exists` for `EEXIST`.
  private static func failure(_ code: Int32, _ path: String) -> StorageError {
    switch code {
    case ENOENT: StorageError(.notFound, path: path)
    case EEXIST: StorageError(.exists, path: path)
    default: StorageError(.system(code), path: path)
    }
  }
}

/// `rename(2)`, reachable from inside `FileStorage` whose own `rename` hides the C one.
private func renameFile(_ from: String, _ to: String) -> Int32 {
  #if canImport(Glibc)
    Glibc.rename(from, to)
  #else
    Darwin.rename(from, to)
  #endif
}

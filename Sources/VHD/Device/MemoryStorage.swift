// SPDX-License-Identifier: GPL-3.0-or-later
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The logical clock of a `MemoryStorage`: simulated seconds since the epoch, set by the caller,
/// so modification times (and the parent timestamps blktap derives from them) are deterministic.
final class LogicalClock {
  var now: Int64

  init(now: Int64) {
    self.now = now
  }
}

/// The modification time of one in-memory file, stamped from its storage's clock on every write
/// through any handle.
final class LogicalFileTime {
  let clock: LogicalClock
  private(set) var value: Int64

  init(clock: LogicalClock) {
    self.clock = clock
    self.value = clock.now
  }

  /// Records a modification now.
  func touch() {
    value = clock.now
  }
}

/// A folder tree held in memory: the `Storage` of simulations and tests.
///
/// Maps normalised absolute paths to backing stores; every `open` hands out a new device handle
/// on the same backing, so a file opened writable by one image and read-only by another shows
/// both the same bytes, and removing or renaming a file leaves open handles working (as with an
/// unlinked inode). Folders are implicit: they exist while some file lies under them. Paths are
/// normalised lexically against "/" (relative paths are relative to the root). Modification
/// times come from the logical clock `now`, never from the wall clock.
public final class MemoryStorage: Storage {
  /// Which device the storage's files are.
  public enum Flavour: Sendable {
    /// Byte-exact `InMemoryDevice`s.
    case inMemory
    /// `MetadataOnlyDevice`s, for capacity studies (data reads as zeros).
    case metadataOnly
  }

  private enum Backing {
    case memory(MemoryBacking)
    case metadata(MetadataBacking)
  }

  private struct File {
    let backing: Backing
    let time: LogicalFileTime
  }

  public let flavour: Flavour
  private let clock: LogicalClock
  private var files: [String: File] = [:]

  /// The logical time stamped on files as they are written (seconds since the epoch).
  public var now: Int64 {
    get { clock.now }
    set { clock.now = newValue }
  }

  /// An empty storage whose clock starts at `now`.
  public init(flavour: Flavour = .inMemory, now: Int64 = 1_700_000_000) {
    self.flavour = flavour
    self.clock = LogicalClock(now: now)
  }

  /// Paths of every file, sorted (for tests and reports).
  public var allPaths: [String] { files.keys.sorted() }

  public func open(_ path: String, writable: Bool) throws -> any BlockDevice {
    let key = canonicalPath(path)
    guard let file = files[key] else { throw StorageError(.notFound, path: key) }
    return handle(on: file, path: key, writable: writable)
  }

  public func create(_ path: String) throws -> any BlockDevice {
    let key = canonicalPath(path)
    guard files[key] == nil, key != "/", !isDirectory(key) else { throw StorageError(.exists, path: key) }
    if hasFileAncestor(key) { throw StorageError(.system(ENOTDIR), path: key) }
    let time = LogicalFileTime(clock: clock)
    let file: File
    switch flavour {
    case .inMemory:
      let backing = MemoryBacking()
      backing.fileTime = time
      file = File(backing: .memory(backing), time: time)
    case .metadataOnly:
      let backing = MetadataBacking()
      backing.fileTime = time
      file = File(backing: .metadata(backing), time: time)
    }
    files[key] = file
    return handle(on: file, path: key, writable: true)
  }

  public func exists(_ path: String) -> Bool {
    files[canonicalPath(path)] != nil
  }

  public func remove(_ path: String) throws {
    let key = canonicalPath(path)
    guard files.removeValue(forKey: key) != nil else { throw StorageError(.notFound, path: key) }
  }

  public func rename(_ from: String, to: String) throws {
    let source = canonicalPath(from)
    let target = canonicalPath(to)
    guard let file = files[source] else { throw StorageError(.notFound, path: source) }
    guard source != target else { return }
    if isDirectory(target) { throw StorageError(.system(EISDIR), path: target) }
    files[target] = file
    files.removeValue(forKey: source)
  }

  public func modificationTime(_ path: String) throws -> Int64 {
    let key = canonicalPath(path)
    guard let file = files[key] else { throw StorageError(.notFound, path: key) }
    return file.time.value
  }

  /// Names of the files and implicit folders directly inside `directory`, sorted; empty for a
  /// folder with nothing in it. Throws `ENOTDIR` when `directory` is a file.
  public func list(directory: String) throws -> [String] {
    let key = canonicalPath(directory)
    if files[key] != nil { throw StorageError(.system(ENOTDIR), path: key) }
    let prefix = key == "/" ? "/" : key + "/"
    var names = Set<Substring>()
    for path in files.keys where path.hasPrefix(prefix) {
      let rest = path.dropFirst(prefix.count)
      names.insert(rest.prefix { $0 != "/" })
    }
    return names.map(String.init).sorted()
  }

  public func canonicalPath(_ path: String) -> String {
    PathNormalizer.normalize(path, relativeTo: "/")
  }

  /// A new device handle on `file`.
  private func handle(on file: File, path: String, writable: Bool) -> any BlockDevice {
    switch file.backing {
    case .memory(let backing): InMemoryDevice(name: path, backing: backing, writable: writable)
    case .metadata(let backing): MetadataOnlyDevice(name: path, backing: backing, writable: writable)
    }
  }

  /// Whether some file lies under `key`, making it an (implicit) folder.
  private func isDirectory(_ key: String) -> Bool {
    let prefix = key == "/" ? "/" : key + "/"
    return files.keys.contains { $0.hasPrefix(prefix) }
  }

  /// Whether a folder on the way to `key` is actually a file.
  private func hasFileAncestor(_ key: String) -> Bool {
    var directory = PathNormalizer.split(key).directory
    while directory != "/" {
      if files[directory] != nil { return true }
      directory = PathNormalizer.split(directory).directory
    }
    return false
  }
}

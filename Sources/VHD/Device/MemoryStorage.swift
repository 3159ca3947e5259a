// SPDX-License-Identifier: GPL-3.0-or-later
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The logical clock of a `MemoryStorage`: simulated seconds since the epoch, set by the caller,
/// so modification times (and the parent timestamps blktap derives from them) are deterministic.
final class LogicalClock {
  // Unchecked exclusivity here and below: a storage and its devices are used from one thread at
  // a time, and every device I/O reads these (checked accesses cost more than the lookups).
  @exclusivity(unchecked) var now: Int64
  /// Mutations of any file so far: each stamps its file with the next value (`LogicalFileTime`).
  @exclusivity(unchecked) var changes: UInt64 = 0
  /// The files of the last `logCapacity` mutations (a ring), so a reader can ask which files changed
  /// since a generation without visiting every file.
  @exclusivity(unchecked) private(set) var log = [Int](repeating: 0, count: LogicalClock.logCapacity)
  static let logCapacity = 1 << 16
  @exclusivity(unchecked) private var nextFileID = 0

  /// An identity for a new file (stable across renames).
  func newFileID() -> Int {
    nextFileID += 1
    return nextFileID
  }

  /// Records a mutation of file `id` and returns its generation.
  func record(_ id: Int) -> UInt64 {
    changes &+= 1
    log[Int(changes % UInt64(Self.logCapacity))] = id
    return changes
  }

  /// The ids of the files changed after generation `since`, or nil when the log no longer reaches
  /// back that far.
  func changed(since: UInt64) -> Set<Int>? {
    if since >= changes { return [] }
    guard changes - since <= UInt64(Self.logCapacity) else { return nil }
    var ids = Set<Int>()
    var g = since &+ 1
    while g <= changes {
      ids.insert(log[Int(g % UInt64(Self.logCapacity))])
      g &+= 1
    }
    return ids
  }

  init(now: Int64) {
    self.now = now
  }
}

/// The modification time of one in-memory file, stamped from its storage's clock on every write
/// through any handle.
final class LogicalFileTime {
  let clock: LogicalClock
  /// The file's identity in the clock's change log.
  let id: Int
  private(set) var value: Int64
  /// Storage-wide unique stamp of the last mutation (see `Storage.contentGeneration`).
  private(set) var generation: UInt64

  init(clock: LogicalClock) {
    self.clock = clock
    self.value = clock.now
    id = clock.newFileID()
    generation = clock.record(id)
  }

  /// Records a modification now.
  func touch() {
    value = clock.now
    generation = clock.record(id)
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
  /// Every (implicit) folder's direct entries, each with the number of files under it, so listing
  /// a folder and telling a folder from a file do not walk every path of the storage.
  private var entries: [String: [String: Int]] = [:]
  /// The paths of the last creates, removes and renames (`namespaceGeneration`, `namespaceChanges`).
  private var namespaceLog = NamespaceLog()
  /// Each file's current path by its id (`contentChanges`).
  private var pathOfID: [Int: String] = [:]
  /// The last listing of each folder, valid while the namespace is unchanged.
  private var listings: [String: (generation: UInt64, names: [String])] = [:]

  /// The logical time stamped on files as they are written (seconds since the epoch).
  public var now: Int64 {
    get { clock.now }
    set { clock.now = newValue }
  }

  /// An empty storage whose clock starts at `now`.
  public init(flavour: Flavour = .inMemory, now: Int64 = CreationStamp.fixedUnixTime) {
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
    pathOfID[time.id] = key
    index(key, 1)
    return handle(on: file, path: key, writable: true)
  }

  public func exists(_ path: String) -> Bool {
    files[canonicalPath(path)] != nil
  }

  public func remove(_ path: String) throws {
    let key = canonicalPath(path)
    guard let file = files.removeValue(forKey: key) else { throw StorageError(.notFound, path: key) }
    pathOfID[file.time.id] = nil
    index(key, -1)
  }

  public func rename(_ from: String, to: String) throws {
    let source = canonicalPath(from)
    let target = canonicalPath(to)
    guard let file = files[source] else { throw StorageError(.notFound, path: source) }
    guard source != target else { return }
    if isDirectory(target) { throw StorageError(.system(EISDIR), path: target) }
    if let replaced = files[target] {
      index(target, -1)
      pathOfID[replaced.time.id] = nil
    }
    pathOfID[file.time.id] = target
    files[target] = file
    files.removeValue(forKey: source)
    index(source, -1)
    index(target, 1)
  }

  public func contentGeneration(_ path: String) -> UInt64? { files[canonicalPath(path)]?.time.generation }

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
    if let cached = listings[key], cached.generation == namespaceLog.generation { return cached.names }
    let names = (entries[key]?.keys).map { $0.sorted() } ?? []
    listings[key] = (namespaceLog.generation, names)
    return names
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
  private func isDirectory(_ key: String) -> Bool { entries[key] != nil }

  public func namespaceGeneration() -> UInt64? { namespaceLog.generation }

  public func namespaceChanges(since generation: UInt64) -> Set<String>? {
    namespaceLog.changed(since: generation)
  }

  public func contentChanges(since generation: UInt64) -> (now: UInt64, paths: Set<String>)? {
    guard let ids = clock.changed(since: generation) else { return nil }
    var paths = Set<String>()
    for id in ids { if let path = pathOfID[id] { paths.insert(path) } }
    return (clock.changes, paths)
  }

  /// Counts a file at `key` into (delta 1) or out of (−1) the folder index, up to the root.
  private func index(_ key: String, _ delta: Int) {
    namespaceLog.record(key)
    var path = key
    while path != "/" {
      let (directory, name) = PathNormalizer.split(path)
      // In place: a copy of a big folder's entries per create would cost O(files).
      let count = entries[directory, default: [:]][name, default: 0] + delta
      entries[directory, default: [:]][name] = count > 0 ? count : nil
      if entries[directory]?.isEmpty == true { entries[directory] = nil }
      path = directory
    }
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

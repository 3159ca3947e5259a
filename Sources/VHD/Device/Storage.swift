// SPDX-License-Identifier: GPL-3.0-or-later

/// A namespace of named devices: a folder of VHD files, or the in-memory equivalent. Chains are
/// opened through it (a child's parent locator is resolved relative to the child's folder), and
/// snapshot, coalesce and export create and remove files through it. Paths are POSIX-style; the
/// engine normalises them with `VHDPath` before asking.
public protocol Storage: AnyObject {
  /// Opens an existing device. Throws `StorageError` with `.notFound` when it does not exist.
  func open(_ path: String, writable: Bool) throws -> any BlockDevice
  /// Creates a new, empty device; throws `.exists` if something is already there.
  func create(_ path: String) throws -> any BlockDevice
  /// Whether a device exists at `path`.
  func exists(_ path: String) -> Bool
  /// Removes the device at `path`.
  func remove(_ path: String) throws
  /// Renames a device (atomic replace of `to` where the backing store allows).
  func rename(_ from: String, to: String) throws
  /// Last modification time in seconds since the Unix epoch (blktap stores the parent's mtime as
  /// the child's parent timestamp).
  func modificationTime(_ path: String) throws -> Int64
  /// Names (not paths) of the entries of a folder, sorted.
  func list(directory: String) throws -> [String]
  /// The absolute, normalised form of `path` (symlinks resolved where the backing store has them).
  func canonicalPath(_ path: String) -> String
  /// A stamp that changes whenever the file at `path` changes (any write, zeroing, truncation), and
  /// is never reused for another file of the storage; nil when the storage cannot tell. Lets a
  /// reader that rescans many files (the SR's GC scan) reuse what it read from unchanged ones.
  func contentGeneration(_ path: String) -> UInt64?
  /// A stamp that changes whenever any file is created, removed or renamed; nil when the storage
  /// cannot tell. Lets a reader cache what a folder holds.
  func namespaceGeneration() -> UInt64?
  /// The paths created, removed or renamed (either end) after namespace generation `generation`
  /// (a value from `namespaceGeneration`); nil when the storage cannot tell (or no longer
  /// remembers that far back). Lets a reader that caches a folder's files (the SR's tree) take in
  /// the names that came and went instead of listing and revisiting all of them.
  func namespaceChanges(since generation: UInt64) -> Set<String>?
  /// The storage-wide content generation now and the paths of the files whose content changed
  /// after `generation` (a value from an earlier call or `contentGeneration`; `.max` asks for the
  /// generation only); nil when the storage cannot tell (or no longer remembers that far back).
  func contentChanges(since generation: UInt64) -> (now: UInt64, paths: Set<String>)?
}

extension Storage {
  public func contentGeneration(_ path: String) -> UInt64? { nil }
  public func namespaceGeneration() -> UInt64? { nil }
  public func namespaceChanges(since generation: UInt64) -> Set<String>? { nil }
  public func contentChanges(since generation: UInt64) -> (now: UInt64, paths: Set<String>)? { nil }
}

/// A failed storage (namespace) operation.
public struct StorageError: Error, Equatable, Sendable, CustomStringConvertible {
  public enum Code: Equatable, Sendable {
    case notFound
    case exists
    case system(Int32)
  }
  public var code: Code
  public var path: String

  public init(_ code: Code, path: String) {
    self.code = code
    self.path = path
  }

  public var description: String { "\(path): \(reason)" }

  /// What happened, without the path (for messages that name the file already).
  public var reason: String {
    switch code {
    case .notFound: "no such file"
    case .exists: "already exists"
    case .system(let e): "system error \(e) (\(systemErrorText(e)))"
    }
  }
}

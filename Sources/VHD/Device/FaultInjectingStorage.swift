// SPDX-License-Identifier: GPL-3.0-or-later

/// A storage that simulates a power loss in the middle of a multi-file operation (snapshot,
/// coalesce, journaled SR changes), for crash-recovery sweeps.
///
/// It wraps another storage and counts every physical write in one sequence: each `write`,
/// `writeZeros` and `truncate` through any device it hands out (they are `FaultInjectingDevice`s
/// sharing its `CrashSchedule`), and each namespace change (`create`, `remove`, `rename`). Armed
/// with `crashAfterWrites(k)`, the k-th of them (1-based, counted from arming) is the crash:
/// - without `tear` it does not happen;
/// - with `tear`, a write or zero-fill lands only its first half rounded down to whole sectors (the
///   first half of its sectors), a truncate does not happen, and a namespace change — atomic on a
///   real file system — happens whole (the crash hits just after it).
///
/// That operation and every later mutating one (on devices opened before or after the crash, and
/// on the namespace) throw `DeviceError.Code.injectedFault`; reads, `open`, `exists`, `list` and
/// `modificationTime` keep working and see what survived. A namespace change that would fail anyway
/// (removing or renaming a missing file, creating over an existing one) is not counted and throws
/// the wrapped storage's error. To "restart" after a crash, reopen images on `base`.
public final class FaultInjectingStorage: Storage {
  /// The storage the writes reach (what a restarted host sees).
  public let base: any Storage
  /// The counter shared with every device this storage hands out.
  public let schedule: CrashSchedule

  /// Wraps `base`, optionally armed at once (see `crashAfterWrites(_:tear:)`).
  public init(_ base: any Storage, crashAfterWrites writes: Int? = nil, tear: Bool = false) {
    self.base = base
    self.schedule = CrashSchedule()
    if let writes { schedule.crashAfterWrites(writes, tear: tear) }
  }

  /// Physical writes and namespace changes so far, the crashing one included.
  public var writesSeen: Int { schedule.writesSeen }
  /// True once the injected crash has happened.
  public var hasCrashed: Bool { schedule.hasCrashed }

  /// Arms the crash: the `writes`-th physical write or namespace change from now (1-based).
  public func crashAfterWrites(_ writes: Int, tear: Bool = false) {
    schedule.crashAfterWrites(writes, tear: tear)
  }

  /// Cancels a pending crash (a crash that already happened stays).
  public func disarm() {
    schedule.disarm()
  }

  public func open(_ path: String, writable: Bool) throws -> any BlockDevice {
    FaultInjectingDevice(try base.open(path, writable: writable), schedule: schedule)
  }

  public func create(_ path: String) throws -> any BlockDevice {
    try guardNotCrashed(path)
    if base.exists(path) { return try base.create(path) }
    let device = try change(path) { try base.create(path) }
    return FaultInjectingDevice(device, schedule: schedule)
  }

  public func exists(_ path: String) -> Bool { base.exists(path) }

  public func remove(_ path: String) throws {
    try guardNotCrashed(path)
    if !base.exists(path) { return try base.remove(path) }
    try change(path) { try base.remove(path) }
  }

  public func rename(_ from: String, to: String) throws {
    try guardNotCrashed(from)
    if !base.exists(from) { return try base.rename(from, to: to) }
    try change(from) { try base.rename(from, to: to) }
  }

  public func modificationTime(_ path: String) throws -> Int64 { try base.modificationTime(path) }

  public func list(directory: String) throws -> [String] { try base.list(directory: directory) }

  public func canonicalPath(_ path: String) -> String { base.canonicalPath(path) }

  /// Counts one namespace change and runs it unless it is lost; a torn (crashing) change runs
  /// whole and then throws.
  @discardableResult
  private func change<T>(_ path: String, _ body: () throws -> T) throws -> T {
    switch schedule.count() {
    case .proceed: return try body()
    case .torn:
      _ = try body()
      throw fault(path)
    case .lost, nil: throw fault(path)
    }
  }

  private func guardNotCrashed(_ path: String) throws {
    if schedule.hasCrashed { throw fault(path) }
  }

  private func fault(_ path: String) -> DeviceError {
    DeviceError(.injectedFault, device: base.canonicalPath(path))
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

/// A storage view that reports the physical I/O of chosen files to an observer, each file at its
/// own level. Used for engine calls that open their images themselves (`VHDReparent`), so that
/// the I/O of a relink is timed like the I/O of a copy. Other files pass through unobserved.
final class ObservedStorage: Storage {
  let base: any Storage
  let observer: any IOObserver
  /// Level by canonical path.
  private let levels: [String: Int]

  init(_ base: any Storage, observer: any IOObserver, levels: [String: Int]) {
    self.base = base
    self.observer = observer
    var canonical: [String: Int] = [:]
    for (path, level) in levels { canonical[base.canonicalPath(path)] = level }
    self.levels = canonical
  }

  func open(_ path: String, writable: Bool) throws -> any BlockDevice {
    let device = try base.open(path, writable: writable)
    guard let level = levels[base.canonicalPath(path)] else { return device }
    return ObservedDevice(device, observer: observer, level: level)
  }

  func create(_ path: String) throws -> any BlockDevice { try base.create(path) }
  func exists(_ path: String) -> Bool { base.exists(path) }
  func remove(_ path: String) throws { try base.remove(path) }
  func rename(_ from: String, to: String) throws { try base.rename(from, to: to) }
  func modificationTime(_ path: String) throws -> Int64 { try base.modificationTime(path) }
  func list(directory: String) throws -> [String] { try base.list(directory: directory) }
  func canonicalPath(_ path: String) -> String { base.canonicalPath(path) }
}

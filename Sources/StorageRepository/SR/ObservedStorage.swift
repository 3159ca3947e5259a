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

/// A device that reports each read and write to an observer at a fixed level.
final class ObservedDevice: BlockDevice {
  let base: any BlockDevice
  let observer: any IOObserver
  let level: Int

  init(_ base: any BlockDevice, observer: any IOObserver, level: Int) {
    self.base = base
    self.observer = observer
    self.level = level
  }

  var name: String { base.name }
  var length: UInt64 { base.length }
  var isWritable: Bool { base.isWritable }

  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    observer.observe(
      PhysicalIO(level: level, kind: kind, direction: .read, offset: offset, length: UInt64(buffer.count)))
    try base.read(into: buffer, at: offset, kind: kind)
  }

  func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    observer.observe(
      PhysicalIO(level: level, kind: kind, direction: .write, offset: offset, length: UInt64(buffer.count)))
    try base.write(buffer, at: offset, kind: kind)
  }

  func writeZeros(at offset: UInt64, length: UInt64, kind: IOKind) throws {
    observer.observe(
      PhysicalIO(level: level, kind: kind, direction: .write, offset: offset, length: length, zeroing: true))
    try base.writeZeros(at: offset, length: length, kind: kind)
  }

  func truncate(to length: UInt64) throws { try base.truncate(to: length) }
  func flush() throws { try base.flush() }
  func dataRegions(in range: Range<UInt64>) throws -> [Range<UInt64>] { try base.dataRegions(in: range) }
  func settle() { base.settle() }
}

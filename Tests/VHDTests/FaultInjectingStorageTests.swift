// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import VHD

// MARK: - A recorder of what reaches the media

/// One mutating operation as it reached the wrapped storage.
private enum PhysicalOp: Equatable, CustomStringConvertible {
  case write(path: String, offset: UInt64, bytes: [UInt8])
  case writeZeros(path: String, offset: UInt64, length: UInt64)
  case truncate(path: String, length: UInt64)
  case create(path: String)
  case remove(path: String)
  case rename(from: String, to: String)

  var description: String {
    switch self {
    case .write(let path, let offset, let bytes): "write \(path) @\(offset) +\(bytes.count)"
    case .writeZeros(let path, let offset, let length): "zeros \(path) @\(offset) +\(length)"
    case .truncate(let path, let length): "truncate \(path) \(length)"
    case .create(let path): "create \(path)"
    case .remove(let path): "remove \(path)"
    case .rename(let from, let to): "rename \(from) \(to)"
    }
  }

  /// What survives when this operation is the torn crash: half of a write's sectors, all of an
  /// atomic namespace change, nothing of a truncate.
  var torn: PhysicalOp? {
    switch self {
    case .write(let path, let offset, let bytes):
      let kept = bytes.count / 2 / 512 * 512
      return kept == 0 ? nil : .write(path: path, offset: offset, bytes: Array(bytes[..<kept]))
    case .writeZeros(let path, let offset, let length):
      let kept = length / 2 / 512 * 512
      return kept == 0 ? nil : .writeZeros(path: path, offset: offset, length: kept)
    case .truncate: return nil
    case .create, .remove, .rename: return self
    }
  }

  /// Applies the operation to `storage` (the independent replay the crashed state is checked against).
  func apply(to storage: MemoryStorage) throws {
    switch self {
    case .write(let path, let offset, let bytes):
      try bytes.withUnsafeBytes { try storage.open(path, writable: true).write($0, at: offset, kind: .data) }
    case .writeZeros(let path, let offset, let length):
      try storage.open(path, writable: true).writeZeros(at: offset, length: length, kind: .data)
    case .truncate(let path, let length): try storage.open(path, writable: true).truncate(to: length)
    case .create(let path): _ = try storage.create(path)
    case .remove(let path): try storage.remove(path)
    case .rename(let from, let to): try storage.rename(from, to: to)
    }
  }
}

/// A device that appends each mutating call that succeeds on its base to a shared log.
private final class RecordingDevice: BlockDevice {
  let base: any BlockDevice
  let log: RecordingStorage

  init(_ base: any BlockDevice, log: RecordingStorage) {
    self.base = base
    self.log = log
  }

  var name: String { base.name }
  var length: UInt64 { base.length }
  var isWritable: Bool { base.isWritable }

  func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    try base.read(into: buffer, at: offset, kind: kind)
  }

  func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64, kind: IOKind) throws {
    try base.write(buffer, at: offset, kind: kind)
    log.ops.append(.write(path: name, offset: offset, bytes: Array(buffer)))
  }

  func writeZeros(at offset: UInt64, length: UInt64, kind: IOKind) throws {
    try base.writeZeros(at: offset, length: length, kind: kind)
    log.ops.append(.writeZeros(path: name, offset: offset, length: length))
  }

  func truncate(to length: UInt64) throws {
    try base.truncate(to: length)
    log.ops.append(.truncate(path: name, length: length))
  }

  func flush() throws { try base.flush() }

  func dataRegions(in range: Range<UInt64>) throws -> [Range<UInt64>] { try base.dataRegions(in: range) }
}

/// A storage over a `MemoryStorage` that logs every mutating operation reaching it.
private final class RecordingStorage: Storage {
  let base = MemoryStorage()
  var ops: [PhysicalOp] = []

  func open(_ path: String, writable: Bool) throws -> any BlockDevice {
    RecordingDevice(try base.open(path, writable: writable), log: self)
  }

  func create(_ path: String) throws -> any BlockDevice {
    let device = try base.create(path)
    ops.append(.create(path: base.canonicalPath(path)))
    return RecordingDevice(device, log: self)
  }

  func exists(_ path: String) -> Bool { base.exists(path) }

  func remove(_ path: String) throws {
    try base.remove(path)
    ops.append(.remove(path: base.canonicalPath(path)))
  }

  func rename(_ from: String, to: String) throws {
    try base.rename(from, to: to)
    ops.append(.rename(from: base.canonicalPath(from), to: base.canonicalPath(to)))
  }

  func modificationTime(_ path: String) throws -> Int64 { try base.modificationTime(path) }
  func list(directory: String) throws -> [String] { try base.list(directory: directory) }
  func canonicalPath(_ path: String) -> String { base.canonicalPath(path) }
}

// MARK: - Helpers

/// Whether `error` is the injected crash, as a device reports it or as the engine wraps it.
private func isInjectedFault(_ error: any Error) -> Bool {
  if let error = error as? DeviceError { return error.code == .injectedFault }
  if let error = error as? VHDError { return error.code == .device(.injectedFault) }
  return false
}

private func expectInjectedFault(
  sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
  do {
    try body()
    Issue.record("expected the injected fault", sourceLocation: sourceLocation)
  } catch {
    #expect(isInjectedFault(error), "\(error)", sourceLocation: sourceLocation)
  }
}

private let dataA = [UInt8](repeating: 0xA5, count: 4096)
private let dataB = [UInt8](repeating: 0x5A, count: 1024)

/// The operation the sweep crashes: create a small dynamic VHD under a temporary name, rename it
/// into place, write to two blocks through a chain, and create then remove a scratch file.
private func createAndWrite(_ storage: any Storage) throws {
  let image = try VHDImage.createDynamic("/sr/a.tmp", size: 8 << 20, storage: storage, stamp: testStamp(3))
  try image.close()
  try storage.rename("/sr/a.tmp", to: "/sr/a.vhd")
  let chain = try VHDChain.open("/sr/a.vhd", storage: storage, writable: true)
  try chain.write(sector: 0, bytes: dataA)
  try chain.write(sector: 4096 + 8, bytes: dataB)
  try chain.close()
  _ = try storage.create("/sr/scratch")
  try storage.remove("/sr/scratch")
}

/// Every file of `storage` with its bytes, sorted by path.
private func snapshot(_ storage: MemoryStorage) throws -> [(String, [UInt8])] {
  try storage.allPaths.map { ($0, try contents(storage, $0)) }
}

/// The first way two storages differ, nil when they hold the same files with the same bytes.
private func firstStorageDifference(_ a: MemoryStorage, _ b: MemoryStorage) throws -> String? {
  let x = try snapshot(a)
  let y = try snapshot(b)
  guard x.map(\.0) == y.map(\.0) else { return "paths \(x.map(\.0)) vs \(y.map(\.0))" }
  for ((path, left), (_, right)) in zip(x, y) {
    if let offset = firstMismatch(left, right) { return "\(path) differs at byte \(offset)" }
  }
  return nil
}

// MARK: - Tests

@Suite struct FaultInjectingStorageTests {
  /// The unarmed run: its ops, as the recorder below the injector saw them.
  private func referenceRun() throws -> (ops: [PhysicalOp], writesSeen: Int) {
    let recorder = RecordingStorage()
    let storage = FaultInjectingStorage(recorder)
    try createAndWrite(storage)
    return (recorder.ops, storage.writesSeen)
  }

  @Test("unarmed: every physical write and namespace change is counted once and passes through")
  func passThrough() throws {
    let (ops, writesSeen) = try referenceRun()
    #expect(writesSeen == ops.count)
    #expect(writesSeen == 22)
    // vhd-util create (footer copy, header, 4-entry BAT, BATmap header, BATmap, footer), the rename,
    // then per block allocation: zero gap + bitmap, zero the data area, BAT sector, data, bitmap,
    // footer moved past the block; then the scratch file's create and remove.
    let expected = [
      "create /sr/a.tmp", "write /sr/a.tmp @0 +512", "write /sr/a.tmp @512 +1024",
      "write /sr/a.tmp @1536 +512", "write /sr/a.tmp @2048 +512", "write /sr/a.tmp @2560 +512",
      "write /sr/a.tmp @3072 +512", "rename /sr/a.tmp /sr/a.vhd",
      // Each allocation moves the end footer first (docs/vhd-format.md#crash-safety).
      "write /sr/a.vhd @2101248 +512", "zeros /sr/a.vhd @3072 +1024", "zeros /sr/a.vhd @4096 +2097152",
      "write /sr/a.vhd @1536 +512", "write /sr/a.vhd @4096 +4096", "write /sr/a.vhd @3584 +512",
      "write /sr/a.vhd @4202496 +512", "zeros /sr/a.vhd @2101248 +4096", "zeros /sr/a.vhd @2105344 +2097152",
      "write /sr/a.vhd @1536 +512", "write /sr/a.vhd @2109440 +1024", "write /sr/a.vhd @2104832 +512",
      "create /sr/scratch", "remove /sr/scratch",
    ]
    #expect(ops.map(\.description) == expected)
    // The image reads back through the engine.
    let chain = try VHDChain.open(
      "/sr/a.vhd",
      storage: {
        let replay = MemoryStorage()
        for op in ops { try op.apply(to: replay) }
        return replay
      }())
    #expect(try chain.read(sector: 0, count: 8) == dataA)
    #expect(try chain.read(sector: 4096 + 8, count: 2) == dataB)
  }

  @Test("crash at every k, lost or torn: ops before k landed, k as specified, later ops throw, reads work")
  func sweep() throws {
    let (ops, n) = try referenceRun()
    for tear in [false, true] {
      for k in 1...n {
        let recorder = RecordingStorage()
        let storage = FaultInjectingStorage(recorder, crashAfterWrites: k, tear: tear)
        expectInjectedFault { try createAndWrite(storage) }
        #expect(storage.hasCrashed, "k=\(k)")
        #expect(storage.writesSeen == k, "k=\(k) tear=\(tear)")

        var expected = Array(ops[..<(k - 1)])
        if tear, let kept = ops[k - 1].torn { expected.append(kept) }
        #expect(recorder.ops.count == expected.count, "k=\(k) tear=\(tear)")
        if let index = zip(recorder.ops, expected).enumerated().first(where: { $0.element.0 != $0.element.1 }
        )?.offset {
          Issue.record(
            "k=\(k) tear=\(tear): op \(index) is \(recorder.ops[index]), expected \(expected[index])")
        }
        let replay = MemoryStorage()
        for op in expected { try op.apply(to: replay) }
        if let difference = try firstStorageDifference(recorder.base, replay) {
          Issue.record("k=\(k) tear=\(tear): \(difference)")
        }

        // After the crash every mutating op throws and is not counted; reads keep working.
        let before = try snapshot(recorder.base)
        expectInjectedFault { _ = try storage.create("/sr/late") }
        for path in recorder.base.allPaths {
          expectInjectedFault { try storage.rename(path, to: "/sr/moved") }
          expectInjectedFault { try storage.remove(path) }
          let device = try storage.open(path, writable: true)
          expectInjectedFault {
            try [UInt8](repeating: 1, count: 512).withUnsafeBytes {
              try device.write($0, at: 0, kind: .data)
            }
          }
          expectInjectedFault { try device.writeZeros(at: 0, length: 512, kind: .data) }
          expectInjectedFault { try device.truncate(to: 0) }
          expectInjectedFault { try device.flush() }
          let reader = try storage.open(path, writable: false)
          var bytes = [UInt8](repeating: 0, count: Int(reader.length))
          try bytes.withUnsafeMutableBytes { try reader.read(into: $0, at: 0, kind: .data) }
          #expect(firstMismatch(bytes, try contents(recorder.base, path)) == nil, "k=\(k) \(path)")
        }
        #expect(storage.writesSeen == k)
        #expect(recorder.ops.count == expected.count)
        let after = try snapshot(recorder.base)
        #expect(after.map(\.0) == before.map(\.0))
        #expect(zip(after, before).allSatisfy { $0.1 == $1.1 }, "k=\(k): bytes changed after the crash")
        #expect(try storage.list(directory: "/sr") == recorder.base.list(directory: "/sr"))
      }
    }
  }

  @Test("devices opened before the crash refuse writes after it; the base storage restarts cleanly")
  func sharedCounterAndRestart() throws {
    let base = MemoryStorage()
    let storage = FaultInjectingStorage(base)
    let first = try storage.create("/f1")
    let second = try storage.create("/f2")
    #expect(storage.writesSeen == 2)
    try dataB.withUnsafeBytes { try first.write($0, at: 0, kind: .data) }
    storage.crashAfterWrites(2)
    try dataB.withUnsafeBytes { try second.write($0, at: 0, kind: .data) }
    #expect(!storage.hasCrashed)
    expectInjectedFault { try storage.rename("/f1", to: "/f3") }  // the crash: lost
    #expect(storage.hasCrashed)
    #expect(storage.writesSeen == 5)
    expectInjectedFault { try dataB.withUnsafeBytes { try first.write($0, at: 0, kind: .data) } }
    #expect(base.allPaths == ["/f1", "/f2"])
    // Restart: the underlying storage is intact and writable.
    let restarted = try base.open("/f1", writable: true)
    try dataA.withUnsafeBytes { try restarted.write($0, at: 0, kind: .data) }
    #expect(try contents(base, "/f1") == dataA)
  }

  @Test("arming counts from now, disarm cancels, failing namespace changes are not counted")
  func armingAndUncountedFailures() throws {
    let storage = FaultInjectingStorage(MemoryStorage())
    _ = try storage.create("/a")
    #expect(throws: StorageError(.exists, path: "/a")) { _ = try storage.create("/a") }
    #expect(throws: StorageError(.notFound, path: "/b")) { try storage.remove("/b") }
    #expect(throws: StorageError(.notFound, path: "/b")) { try storage.rename("/b", to: "/c") }
    #expect(storage.writesSeen == 1)
    storage.crashAfterWrites(1)
    storage.disarm()
    try storage.rename("/a", to: "/b")
    #expect(storage.writesSeen == 2)
    storage.crashAfterWrites(1, tear: true)
    expectInjectedFault { try storage.remove("/b") }  // torn namespace change: happens whole
    #expect(!storage.exists("/b"))
    #expect(storage.writesSeen == 3)
  }
}

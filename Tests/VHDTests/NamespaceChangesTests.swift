// SPDX-License-Identifier: GPL-3.0-or-later

import Testing

@testable import VHD

/// `MemoryStorage.namespaceChanges`: the paths created, removed or renamed since a namespace
/// generation, as far back as its ring of 65,536 changes reaches.
@Suite struct NamespaceChangesTests {
  @Test func createsRemovesAndRenamesAreReportedSinceAGeneration() throws {
    let storage = MemoryStorage()
    let start = try #require(storage.namespaceGeneration())
    #expect(storage.namespaceChanges(since: start) == [])
    _ = try storage.create("/sr/a")
    _ = try storage.create("/sr/b")
    let afterCreates = try #require(storage.namespaceGeneration())
    try storage.rename("/sr/a", to: "/sr/./c")
    try storage.remove("/sr/b")
    #expect(storage.namespaceChanges(since: start) == ["/sr/a", "/sr/b", "/sr/c"])
    #expect(storage.namespaceChanges(since: afterCreates) == ["/sr/a", "/sr/b", "/sr/c"])
    #expect(storage.namespaceChanges(since: try #require(storage.namespaceGeneration())) == [])
    // Writing changes content, not names.
    let now = try #require(storage.namespaceGeneration())
    let device = try storage.open("/sr/c", writable: true)
    try [UInt8](repeating: 1, count: 512).withUnsafeBytes { try device.write($0, at: 0, kind: .data) }
    #expect(storage.namespaceGeneration() == now)
    #expect(storage.namespaceChanges(since: now + 1) == nil)
  }

  @Test func changesOlderThanTheRingAreUnknown() throws {
    var log = NamespaceLog()
    for i in 0..<(NamespaceLog.capacity + 10) { log.record("/p\(i % 100)") }
    #expect(log.generation == UInt64(NamespaceLog.capacity + 10))
    #expect(log.changed(since: 9) == nil)
    #expect(log.changed(since: 10)?.count == 100)
    let recent = try #require(log.changed(since: log.generation - 3))
    let expected = (NamespaceLog.capacity + 7..<NamespaceLog.capacity + 10).map { "/p\($0 % 100)" }
    #expect(recent == Set(expected))
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Testing
import VHD

@testable import Benchmarking

#if canImport(Glibc)
  import Glibc
#endif

/// The AIO context the validation's real loop drives: what one turn queues goes to the kernel in one
/// call and comes back by tag; a refused I/O is an error naming it, and nothing after it is left
/// queued.
@Suite struct NativeAIOTests {
  @Test func submitsWhatWasQueuedAndReturnsEachByTag() throws {
    let path = NSTemporaryDirectory() + "native-aio-\(getpid())"
    defer { unlink(path) }
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
    try #require(fd >= 0)
    defer { close(fd) }
    let buffer = try #require(UnsafeMutableRawPointer.aligned(3 * 4096))
    defer { free(buffer) }
    for i in 0..<3 { memset(buffer + i * 4096, Int32(0x41 + i), 4096) }
    let aio = try NativeAIO(depth: 4)
    for i in 0..<3 {
      aio.queue(
        fd: fd, isWrite: true, buffer: buffer + i * 4096, count: 4096, offset: UInt64(i) * 8192,
        tag: UInt64(10 + i), name: "data")
    }
    try aio.submitQueued()
    #expect(aio.inFlight == 3)
    var results: [UInt64: Int64] = [:]
    while aio.inFlight > 0 { try aio.reap { results[$0] = $1 } }
    #expect(results == [10: 4096, 11: 4096, 12: 4096])
    var byte: UInt8 = 0
    #expect(pread(fd, &byte, 1, 16384) == 1 && byte == 0x43)
    // Nothing left queued: another submit sends nothing.
    try aio.submitQueued()
    #expect(aio.inFlight == 0)
  }

  @Test func aRefusedIOIsAnErrorNamingIt() throws {
    let buffer = try #require(UnsafeMutableRawPointer.aligned(4096))
    defer { free(buffer) }
    let aio = try NativeAIO(depth: 2)
    aio.queue(fd: -1, isWrite: false, buffer: buffer, count: 4096, offset: 12288, tag: 1, name: "metadata")
    #expect(throws: DeviceError.self) { try aio.submitQueued() }
    do { try aio.submitQueued() } catch { Issue.record("the refused I/O stayed queued: \(error)") }
    #expect(aio.inFlight == 0)
    do {
      aio.queue(fd: -1, isWrite: false, buffer: buffer, count: 4096, offset: 12288, tag: 1, name: "metadata")
      try aio.submitQueued()
    } catch let e as DeviceError {
      #expect(e.code == .system(EBADF) && e.device == "metadata" && e.offset == 12288 && e.length == 4096)
    }
  }
}

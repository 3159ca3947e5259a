// SPDX-License-Identifier: GPL-3.0-or-later
import Dispatch
import Synchronization

/// The write side of an export: a few block buffers; each filled buffer is scanned for zero pages
/// and written on a worker queue while the reader fills the next one. With one slot it degrades
/// to plain sequential writing (outputs that are not safe for concurrent writes).
final class ExportWriter: @unchecked Sendable {
  // @unchecked: buffers are handed between threads only through the semaphore and the mutex.
  private let output: any BlockDevice
  private let buffers: [UnsafeMutableRawPointer]
  private let slots: DispatchSemaphore
  private let group = DispatchGroup()
  // One writer: writes to one file serialise on its inode lock anyway.
  private let queue = DispatchQueue(label: "vhdsim.export.write")
  private let state: Mutex<State>

  private struct State {
    var free: [Int]
    var written: UInt64 = 0
    var error: (any Error)?
  }

  init(output: any BlockDevice, bufferBytes: Int, slots count: Int) {
    self.output = output
    buffers = (0..<count).map { _ in .allocate(byteCount: bufferBytes, alignment: 4096) }
    slots = DispatchSemaphore(value: count)
    state = Mutex(State(free: Array(0..<count)))
  }

  func deallocate() {
    group.wait()
    for b in buffers { b.deallocate() }
  }

  func buffer(_ slot: Int) -> UnsafeMutableRawPointer { buffers[slot] }

  /// A free buffer (waits for a writer to finish one). Throws a writer's earlier failure.
  func acquire() throws -> Int {
    slots.wait()
    return try state.withLock { s in
      if let e = s.error {
        slots.signal()
        throw e
      }
      return s.free.removeLast()
    }
  }

  func release(_ slot: Int) {
    state.withLock { $0.free.append(slot) }
    slots.signal()
  }

  /// Writes the non-zero pages of a filled buffer, on the worker queue when `concurrently`.
  func submit(slot: Int, bytes: Int, at offset: UInt64, concurrently: Bool) {
    let work: @Sendable () -> Void = { [self] in
      do {
        let n = try VHDExport.writeNonZero(buffers[slot], bytes: bytes, at: offset, to: output)
        state.withLock { $0.written += n }
      } catch {
        state.withLock { if $0.error == nil { $0.error = error } }
      }
      release(slot)
    }
    if concurrently {
      queue.async(group: group, execute: work)
    } else {
      work()
    }
  }

  /// Waits for every write; returns the bytes written or the first failure.
  func finish() throws -> UInt64 {
    group.wait()
    return try state.withLock { s in
      if let e = s.error { throw e }
      return s.written
    }
  }
}

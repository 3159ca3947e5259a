// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD

/// One request in the system: a guest request, a tapdisk's reopen metadata read, or one step of a GC
/// operation. Slots are reused so that their arrays (device I/Os, per-level work) keep their storage
/// from request to request.
struct RequestSlot {
  enum Kind { case guest, reopen, gc }
  var kind = Kind.guest
  /// The VM of a guest request; the worker id of a GC request.
  var vm: Int32 = 0
  var vdi: Int32 = 0
  var isWrite = false
  var sector: UInt64 = 0
  var sectors = 0
  /// When it was issued, held, queued and served (stored inline: no allocation per request).
  var timing = RequestTiming()
  var ops: [DiskOp] = []
  /// The next of `ops` to serve, on a disk that times I/Os as they start.
  var nextIO = 0
  /// What the engine did for it (per level, and the physical I/O it issued by kind).
  var work = EngineWork()
  /// Index in the VDI's write log (writes of a pool that records them), else −1.
  var logIndex = -1
  /// The generator's `GuestRequest.sequence`.
  var guestSequence = -1
  /// Between the engine call and completion.
  var inEngine = false
  /// What the write overwrote (only while a `skipDrain` snapshot is scheduled).
  var preimage: [UInt8] = []
}

extension RequestSlot {
  /// Times the slot's next I/O on `disk`, starting `now`, and moves on to the one after; returns its
  /// service time (added to the slot's).
  mutating func serveNextIO(on disk: inout SimulatedDisk, at now: SimTime) -> SimTime {
    let i = nextIO
    let t = ops.withUnsafeBufferPointer {
      disk.service(UnsafeBufferPointer(rebasing: $0[i..<(i + 1)]), at: now)
    }
    if t != SimulatedDisk.heldForRound { timing.serviceTime += t }
    nextIO = i + 1
    return t
  }
}

/// The engine's accounting of one request, copied out of the engine's and the I/O tap's reusable
/// records so the metrics can be taken at completion.
struct EngineWork {
  var depth = 0
  var levelsProbed = 0
  var zeroFilled = 0
  var blocksAllocated = 0
  var levels: [LevelWork] = []
  var counts = [Int](repeating: 0, count: IOTap.countSlots)
  var bytes = [UInt64](repeating: 0, count: IOTap.countSlots)
}

/// The table of request slots with its free list (no allocation once warm).
struct SlotTable {
  var slots: [RequestSlot] = []
  private var free: [Int32] = []

  /// A free slot (its arrays keep their storage; callers set every field they use).
  mutating func allocate() -> Int32 {
    if let s = free.popLast() { return s }
    slots.append(RequestSlot())
    return Int32(slots.count - 1)
  }

  mutating func release(_ s: Int32) { free.append(s) }

  subscript(_ s: Int32) -> RequestSlot {
    get { slots[Int(s)] }
    _modify { yield &slots[Int(s)] }
  }
}

/// The guests' data buffer: one allocation for the run, filled once with a pattern for writes.
final class EngineBuffer {
  let pointer: UnsafeMutableRawPointer
  let bytes: Int
  init(bytes: Int) {
    self.bytes = Swift.max(bytes, 4096)
    pointer = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bytes, 4096), alignment: 4096)
    pointer.initializeMemory(as: UInt8.self, repeating: 0xA5, count: Swift.max(bytes, 4096))
  }
  deinit { pointer.deallocate() }
}

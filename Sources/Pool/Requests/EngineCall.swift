// SPDX-License-Identifier: GPL-3.0-or-later
import VHD

/// The tapdisk's call into the real engine: opens chains with the pool's engine options and the I/O
/// tap as observer, runs a request's read or write, and copies what the engine counted into the slot.
/// The engine changes real state on the device; the tap translates every physical I/O it issued to
/// disk operations at SR-placement offsets.
struct EngineCall {
  let tap: IOTap
  let storage: any Storage
  let options: EngineOptions
  var accounting = RequestAccounting()
  private(set) var buffer = EngineBuffer(bytes: 4096)

  init(tap: IOTap, storage: any Storage, options: EngineOptions) {
    self.tap = tap
    self.storage = storage
    self.options = options
  }

  /// The buffer, at least `bytes` long (grows only for a larger request than any before).
  mutating func buffer(bytes: Int) -> EngineBuffer {
    if bytes > buffer.bytes { buffer = EngineBuffer(bytes: bytes) }
    return buffer
  }

  /// Opens the chain ending at `leafPath` read-write, observed by the tap. On metadata-only storage
  /// guest reads skip the zero fill of unallocated sectors: nothing reads those bytes, and data the
  /// device keeps none of cannot be checked anyway.
  func open(_ leafPath: String) throws -> VHDChain {
    let chain = try VHDChain.open(leafPath, storage: storage, writable: true, options: options)
    chain.setObserver(tap)
    if (storage as? MemoryStorage)?.flavour == .metadataOnly { chain.zeroFillsUnheldSectors = false }
    return chain
  }

  /// Runs the slot's read or write on `chain` (levels placed on `volumes`) with data in the buffer,
  /// then keeps the accounting and the disk operations in the slot.
  mutating func perform(_ slot: inout RequestSlot, on chain: VHDChain, volumes: [Int]) throws {
    let data = buffer(bytes: slot.sectors * 512).pointer
    tap.begin(levels: volumes)
    if slot.isWrite {
      try chain.write(sector: slot.sector, count: slot.sectors, from: data, accounting: &accounting)
    } else {
      try chain.read(sector: slot.sector, count: slot.sectors, into: data, accounting: &accounting)
    }
    if let f = tap.state.pointee.failure { throw f }
    let depth = accounting.levels.count
    slot.work.depth = depth
    slot.work.levelsProbed = accounting.levelsProbed
    slot.work.zeroFilled = accounting.zeroFilledSectors
    slot.work.blocksAllocated = accounting.blocksAllocated
    if slot.work.levels.count != depth { slot.work.levels = Array(repeating: LevelWork(), count: depth) }
    for l in 0..<depth { slot.work.levels[l] = accounting.levels[l] }
    let tapState = tap.state
    for k in 0..<IOTap.countSlots {
      slot.work.counts[k] = tapState.pointee.counts[k]
      slot.work.bytes[k] = tapState.pointee.bytes[k]
    }
    swap(&tapState.pointee.ops, &slot.ops)
  }

  /// Writes `count` sectors from `data` at `sector` outside a guest request (a broken snapshot's
  /// undo and replay); the I/O is placed but not timed.
  mutating func write(
    _ chain: VHDChain, volumes: [Int], sector: UInt64, count: Int, from data: UnsafeRawPointer
  ) throws {
    tap.begin(levels: volumes)
    try chain.write(sector: sector, count: count, from: data, accounting: &accounting)
  }
}

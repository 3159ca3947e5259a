// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import StorageRepository
import Testing
import VHD

/// docs/simulation.md#file-system-allocation: the tap's marks and the exclusive lane of the model.
@Suite struct FileSystemAllocationTests {
  /// A 1 µs transfer per 4 KiB (4.096 GB/s), 50 µs writes, 100 µs reads, 4 channels.
  func device(fileSystem: Bool) -> SSDModel {
    var m = SSDModel(
      readLatency: .microseconds(100), writeLatency: .microseconds(50), readBandwidth: 4.096e9,
      writeBandwidth: 4.096e9, channels: 4, capacityBytes: 1 << 30)
    if fileSystem {
      m.fileSystem = FileSystemAllocation(
        allocatingWrite: SizeClassLatency(.fixed(.microseconds(200))), punchHole: .fixed(.microseconds(30)))
    }
    return m
  }

  func service(_ m: inout SSDModel, _ op: DiskOp, atMicroseconds t: Int64) -> Int64 {
    m.serviceTime([op], at: SimTime(nanoseconds: t * 1000)).nanoseconds / 1000
  }

  @Test func allocatingWritesTakeTheLaneOneAtATimeAndOthersWaitForIt() {
    var m = device(fileSystem: true)
    let alloc = DiskOp(offset: 0, length: 4096, isWrite: true, space: .allocates)
    let read = DiskOp(offset: 1 << 20, length: 4096, isWrite: false)
    // 200 µs allocating + 1 µs transfer; the second waits for the first's 200 µs on the lane.
    #expect(service(&m, alloc, atMicroseconds: 0) == 201)
    #expect(service(&m, alloc, atMicroseconds: 0) == 401)
    // A read at 10 µs waits for the lane (free at 400 µs), then 100 + 1.
    #expect(service(&m, read, atMicroseconds: 10) == 491)
    // Once the lane is free a read is the device's read.
    #expect(service(&m, read, atMicroseconds: 600) == 101)
    // A punch: the punch time on the lane, no data moves.
    let punch = DiskOp(offset: 8 << 20, length: 2 << 20, isWrite: true, space: .punchesHole)
    #expect(service(&m, punch, atMicroseconds: 800) == 30)
    // Variability off keeps the section.
    #expect(m.deterministic.fileSystem != nil)
  }

  /// Under AIO the lock is held while an I/O is submitted, not until it completes: an aligned
  /// allocating write ready at 10 µs does not wait for a read under way (0–101 µs); an unaligned one
  /// (a 512-byte bitmap into a hole) waits for it, then completes under the lock.
  @Test func onlyAnUnalignedAllocatingWriteWaitsForTheIOInFlight() {
    var m = device(fileSystem: true)
    #expect(service(&m, DiskOp(offset: 1 << 20, length: 4096, isWrite: false), atMicroseconds: 0) == 101)
    #expect(
      service(&m, DiskOp(offset: 0, length: 4096, isWrite: true, space: .allocates), atMicroseconds: 10)
        == 201)
    var n = device(fileSystem: true)
    #expect(service(&n, DiskOp(offset: 1 << 20, length: 4096, isWrite: false), atMicroseconds: 0) == 101)
    // 101 + 200 µs + 125 ns of transfer, from 10 µs.
    #expect(
      service(&n, DiskOp(offset: 4096, length: 512, isWrite: true, space: .allocates), atMicroseconds: 10)
        == 291)
  }

  /// With a submission time an aligned allocating write holds the lane only while it is submitted
  /// (20 µs), then completes at its whole latency (200 µs) without it; a read asking meanwhile waits
  /// for the submission only, and a second allocating write queues on the lane behind the first's.
  @Test func anAlignedAllocatingWriteHoldsTheLockWhileSubmitted() {
    var m = device(fileSystem: true)
    m.fileSystem!.allocatingSubmit = SizeClassLatency(.fixed(.microseconds(20)))
    let alloc = DiskOp(offset: 0, length: 4096, isWrite: true, space: .allocates)
    #expect(service(&m, alloc, atMicroseconds: 0) == 201)
    #expect(service(&m, DiskOp(offset: 1 << 20, length: 4096, isWrite: false), atMicroseconds: 10) == 111)
    #expect(service(&m, alloc, atMicroseconds: 0) == 221)
    // An unaligned one still drains: the I/O in flight ends at 221 µs, then 200 µs and the transfer.
    #expect(
      service(&m, DiskOp(offset: 4096, length: 512, isWrite: true, space: .allocates), atMicroseconds: 30)
        == 391)
  }

  /// How long each op keeps tapdisk's thread in its system call: an aligned write into a hole until
  /// its file's lock is let go (its 20 µs allocation, and the wait for the lock behind another's),
  /// a draining op (an unaligned write into a hole, a punch) to its completion, a read or an
  /// overwrite not at all (the thread's own per-submission time is the pool's); without a
  /// submission time in the profile an aligned one holds nothing (docs/simulation.md#file-system-allocation).
  @Test func theSubmitterIsHeldForTheAllocationOrTheWholeOfADrainingOp() {
    var m = device(fileSystem: true)
    m.fileSystem!.allocatingSubmit = SizeClassLatency(.fixed(.microseconds(20)))
    func held(_ op: DiskOp, at t: Int64) -> Int64 {
      let now = SimTime(nanoseconds: t * 1000)
      let service = m.serviceTime([op], at: now)
      return m.submitterHeld(op, service: service, at: now).nanoseconds / 1000
    }
    let alloc = DiskOp(offset: 0, length: 4096, isWrite: true, space: .allocates)
    #expect(held(alloc, at: 0) == 20)
    // The lane is held until 20 µs: a second one at 5 µs waits 15 µs, then allocates for 20.
    #expect(held(alloc, at: 5) == 35)
    #expect(held(DiskOp(offset: 1 << 20, length: 4096, isWrite: false), at: 100) == 0)
    #expect(held(DiskOp(offset: 1 << 20, length: 4096, isWrite: true), at: 100) == 0)
    // Unaligned: waits for the I/O in flight (to 221 µs), then 200 µs under the lock, whole.
    #expect(held(DiskOp(offset: 4096, length: 512, isWrite: true, space: .allocates), at: 100) == 321)
    #expect(
      held(DiskOp(offset: 8 << 20, length: 2 << 20, isWrite: true, space: .punchesHole), at: 1000) == 30)
    var old = device(fileSystem: true)
    let now = SimTime.zero
    let service = old.serviceTime([alloc], at: now)
    #expect(old.submitterHeld(alloc, service: service, at: now) == .zero)
    #expect(device(fileSystem: false).submitterHeld(alloc, service: service, at: now) == .zero)
  }

  /// The lock is per file: an allocating write of file 1 holds back file 1's read, not file 2's.
  @Test func theLaneIsPerFile() {
    var m = device(fileSystem: true)
    let alloc = DiskOp(offset: 0, length: 4096, isWrite: true, space: .allocates, file: 1)
    #expect(service(&m, alloc, atMicroseconds: 0) == 201)
    let other = DiskOp(offset: 1 << 20, length: 4096, isWrite: false, file: 2)
    #expect(service(&m, other, atMicroseconds: 10) == 101)
    let same = DiskOp(offset: 2 << 20, length: 4096, isWrite: false, file: 1)
    #expect(service(&m, same, atMicroseconds: 10) == 291)
  }

  /// The lock is fair: a read that asks while an unaligned allocating write waits for the I/O in
  /// flight queues behind it instead of slipping into the gap before it
  /// (docs/simulation.md#file-system-allocation).
  @Test func aReadAfterAWaitingWriterQueuesBehindIt() {
    var m = device(fileSystem: true)
    let read = DiskOp(offset: 1 << 20, length: 4096, isWrite: false)
    let bitmap = DiskOp(offset: 4096, length: 512, isWrite: true, space: .allocates)
    // Read 0–101 µs; the write asks at 10 µs, holds 101–301 µs, transfer to 301.125 µs.
    #expect(service(&m, read, atMicroseconds: 0) == 101)
    #expect(service(&m, bitmap, atMicroseconds: 10) == 291)
    // A read asking at 20 µs would fit before 101 µs on the device, but waits for the writer (to
    // 301 µs), then 100 + 1: done at 402 µs.
    #expect(service(&m, read, atMicroseconds: 20) == 382)
    // A read of another file does not wait.
    #expect(
      service(&m, DiskOp(offset: 3 << 20, length: 4096, isWrite: false, file: 4), atMicroseconds: 20) == 101)
  }

  @Test func withoutAFileSystemMarksAreChargedAsPlainWrites() {
    var m = device(fileSystem: false)
    let punch = DiskOp(offset: 8 << 20, length: 2 << 20, isWrite: true, space: .punchesHole)
    // 50 µs write + 2 MiB at 4.096 GB/s (512 µs).
    #expect(service(&m, punch, atMicroseconds: 0) == 562)
    // Two at once overlap (no lane): the second only waits 1 µs for the bus.
    let alloc = DiskOp(offset: 0, length: 4096, isWrite: true, space: .allocates)
    #expect(service(&m, alloc, atMicroseconds: 1000) == 51)
    #expect(service(&m, alloc, atMicroseconds: 1000) == 52)
  }

  /// The engine on a one-level chain: a write into a new block, another into the same block, and a
  /// rewrite of written sectors, with the space marks of their device writes in the engine's order.
  @Test func tapMarksWhatTheEngineWritesIntoHoles() throws {
    let storage = MemoryStorage(flavour: .metadataOnly)
    let sr = SR.forChains(storage: storage, kind: .file, capacity: 1 << 40, engine: EngineOptions(), seed: 1)
    let spec = ChainSpec(depth: 1, virtualSize: 64 << 20, baseFill: 0, writesPerSnapshot: 0, seed: 1)
    let path = sr.path(of: try spec.build(in: sr, nameLabel: "v"))
    var placement = SRPlacement(kind: .file, capacity: 1 << 40)
    let volume = try placement.attach(path, size: 1 << 20)
    let tap = IOTap(placement: placement)
    let chain = try VHDChain.open(path, storage: storage, writable: true, options: EngineOptions())
    chain.setObserver(tap)
    let data = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
    defer { data.deallocate() }
    var accounting = RequestAccounting()
    func marks(sector: UInt64) throws -> [(SpaceChange, UInt64)] {
      tap.begin(levels: [volume])
      try chain.write(sector: sector, count: 8, from: data, accounting: &accounting)
      return tap.ops.map { ($0.space, $0.length) }
    }
    // New block: footer to the new end; the gap to the block's 4 KiB-aligned start with the bitmap,
    // and the 2 MiB data area, punched (split where the file's extents are not contiguous); the BAT
    // sector; then the data and its bitmap, both into holes.
    let fresh = try marks(sector: 0)
    let spaces = fresh.map(\.0)
    #expect(spaces.first == .allocates && fresh.first?.1 == 512)
    #expect(spaces.dropFirst().dropLast(3).allSatisfy { $0 == .punchesHole })
    #expect(Array(spaces.suffix(3)) == [.none, .allocates, .allocates])
    #expect(Array(fresh.suffix(2).map(\.1)) == [4096, 512])
    let gapAndBitmap = fresh[1].1
    #expect(gapAndBitmap >= 512 && gapAndBitmap <= 4096 + 512)
    let punched = fresh.filter { $0.0 == .punchesHole }.reduce(0) { $0 + $1.1 }
    #expect(punched == gapAndBitmap + (2 << 20))
    // Same block, clear bits: the data lands in a hole; the bitmap sector exists now.
    let second = try marks(sector: 8)
    #expect(second.map(\.0) == [.allocates, .none])
    // Written sectors again: an overwrite, no bitmap write.
    let again = try marks(sector: 0)
    #expect(again.map(\.0) == [.none])
  }
}

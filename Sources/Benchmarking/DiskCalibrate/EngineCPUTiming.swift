// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import Simulation
import StorageRepository
import VHD
import Workloads

/// Measures the engine's processor time per guest request (`EngineCPUCost`,
/// docs/simulation.md#engine-cpu-time): the validation workload (random 4 KiB, 70 % reads) through
/// chains of depth 1 and 17 held in memory, so no time goes to a device; the two per-request means
/// against the levels each lookup probed give the fixed part and the part per level. Meaningful only
/// in a release build (`swift build -c release`).
struct EngineCPUTiming {
  var requests = 20_000
  var depths = [1, 17]
  var seed: UInt64 = 1

  struct Point {
    var nanosecondsPerRequest: Double
    var levelsPerRequest: Double
  }

  func measure() throws -> EngineCPUCost {
    let points = try depths.map(point)
    guard let a = points.first, let b = points.last, b.levelsPerRequest > a.levelsPerRequest else {
      return EngineCPUCost(
        perRequest: SimTime(nanoseconds: Int64(points[0].nanosecondsPerRequest)), perLevel: .zero)
    }
    let perLevel = Swift.max(
      0, (b.nanosecondsPerRequest - a.nanosecondsPerRequest) / (b.levelsPerRequest - a.levelsPerRequest))
    let perRequest = Swift.max(0, a.nanosecondsPerRequest - perLevel * a.levelsPerRequest)
    return EngineCPUCost(
      perRequest: SimTime(nanoseconds: Int64(perRequest.rounded())),
      perLevel: SimTime(nanoseconds: Int64(perLevel.rounded())))
  }

  /// Mean time and levels probed per request through a chain of `depth` in memory.
  func point(depth: Int) throws -> Point {
    let chain = ChainSpec(
      depth: depth, virtualSize: 1 << 30, baseFill: 0.5, writesPerSnapshot: 64, seed: seed)
    let storage = MemoryStorage(flavour: .inMemory)
    let engine = DiskValidation.engine
    let sr = SR.forChains(storage: storage, kind: .file, capacity: 1 << 40, engine: engine, seed: seed)
    let vhd = try VHDChain.open(
      sr.path(of: try chain.build(in: sr, nameLabel: "vdi")), storage: storage, writable: true,
      options: engine)
    let workload = WorkloadSpec(readFraction: 0.7, arrivals: .closedLoop(ioDepth: 1))
    var generator = try workload.generator(virtualSize: chain.virtualSize, seed: seed)
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 4096)
    defer { buffer.deallocate() }
    memset(buffer, 0x3C, 1 << 20)
    var accounting = RequestAccounting()
    var levels = 0
    var served = 0
    let start = DispatchTime.now().uptimeNanoseconds
    while served < requests, let r = generator.next(now: .zero) {
      if r.operation == .write {
        try vhd.write(sector: r.lba, count: r.sectors, from: buffer, accounting: &accounting)
      } else if r.operation == .read {
        try vhd.read(sector: r.lba, count: r.sectors, into: buffer, accounting: &accounting)
      } else {
        continue
      }
      levels += accounting.levelsProbed
      served += 1
    }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
    return Point(
      nanosecondsPerRequest: elapsed / Double(Swift.max(1, served)),
      levelsPerRequest: Double(levels) / Double(Swift.max(1, served)))
  }
}

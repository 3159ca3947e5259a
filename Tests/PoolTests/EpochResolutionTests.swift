// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import StorageRepository
import Testing
import VHD
import Workloads

/// Guest I/O at epoch resolution (docs/simulation.md#epoch-resolution): drawn in bulk, cut at every
/// SR event, recorded without latencies.
@Suite struct EpochResolutionTests {
  /// A pool over an SR on a metadata-only device with one VDI and one VM of `workload`.
  func pool(
    _ workload: WorkloadSpec, resolution: GuestResolution, seed: UInt64, gc: GCSettings = .off
  ) throws -> (PoolSimulation, Int) {
    let sr = SR(
      storage: MemoryStorage(flavour: .metadataOnly), directory: "/sr", kind: .file, capacity: 8 << 30,
      stamps: StampSequence(seed: seed))
    let pool = try PoolSimulation(disk: SSDModel.nvmeDatacenter, sr: sr, gc: gc, seed: seed)
    let vdi = try pool.attach(vdi: try sr.createVDI(nameLabel: "disk", virtualSize: 64 << 20).uuid)
    try pool.addVM(vdi: vdi, workload: workload, resolution: resolution)
    return (pool, vdi)
  }

  /// Sectors each level of the VDI's chain supplies when the whole disk is read.
  func sectorsPerLevel(_ chain: VHDChain) throws -> [Int] {
    var accounting = RequestAccounting()
    let sectors = Int(chain.virtualSize / 512)
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: sectors * 512, alignment: 4096)
    defer { buffer.deallocate() }
    try chain.read(sector: 0, count: sectors, into: buffer, accounting: &accounting)
    return accounting.levels.map(\.sectorsServed)
  }

  @Test func closedLoopAndBadEpochAreRefused() throws {
    #expect(throws: PoolError.self) {
      try pool(WorkloadSpec(readFraction: 0.5), resolution: .epoch(length: .seconds(60)), seed: 1)
    }
    #expect(throws: PoolError.self) {
      try pool(
        WorkloadSpec(arrivals: .openLoop(ratePerSecond: 10)), resolution: .epoch(length: .zero), seed: 1)
    }
  }

  /// A snapshot cuts the epoch: the writes before it are in the parent, the rest in the new leaf,
  /// even though the epoch (1000 s) is far longer than the run.
  @Test func aSnapshotSeesExactlyTheWritesBeforeIt() throws {
    let workload = WorkloadSpec(
      pattern: .sequential, readFraction: 0, requestBytes: 4096, arrivals: .openLoop(ratePerSecond: 100))
    let (p, vdi) = try pool(workload, resolution: .epoch(length: .seconds(1000)), seed: 3)
    _ = try p.scheduleSRSnapshot(vdi: vdi, at: .seconds(5))
    let r = try p.run(for: .seconds(10))
    let levels = try sectorsPerLevel(p.chain(vdi: vdi))
    #expect(levels.count == 2)
    // Sequential 4 KiB writes from sector 0 never overlap here (1000 writes ≪ 16 384 pages).
    #expect(levels.reduce(0, +) == r.counts.writes * 8)
    // Poisson(500) each side: 5 SD is about 110 writes.
    #expect(abs(levels[1] / 8 - 500) < 120, "parent holds \(levels[1] / 8) writes")
    #expect(abs(levels[0] / 8 - 500) < 120, "leaf holds \(levels[0] / 8) writes")
    #expect(r.epochLength == .seconds(1000))
    #expect(r.latency.all.count == 0 && r.latency.writes.count == 0)
  }

  /// Both resolutions draw the same distributions: blocks allocated, requests and lookups per
  /// request agree over replicates (random 4–64 KiB writes over 32 blocks, so the leaf fills).
  @Test func epochAgreesWithRequestResolutionOnAPlainChain() throws {
    let workload = WorkloadSpec(
      readFraction: 0.5, sizes: try SizeMix(parsing: "4k/25:16k/25:32k/25:64k/25"),
      address: .zipf(theta: 0.8), arrivals: .openLoop(ratePerSecond: 40))
    var allocated: [GuestResolution: [Double]] = [:]
    var probes: [GuestResolution: [Double]] = [:]
    var requests: [GuestResolution: [Double]] = [:]
    for resolution in [GuestResolution.request, .epoch(length: .seconds(7))] {
      for seed in 1...10 {
        let (p, vdi) = try pool(workload, resolution: resolution, seed: UInt64(seed))
        _ = try p.scheduleSRSnapshot(vdi: vdi, at: .seconds(15))
        let r = try p.run(for: .seconds(30))
        allocated[resolution, default: []].append(Double(r.chain.blocksAllocated))
        let total = r.chain.levels.reduce(LevelWork()) {
          var t = $0
          t += $1
          return t
        }
        probes[resolution, default: []].append(Double(total.batProbes) / Double(r.requests))
        requests[resolution, default: []].append(Double(r.requests))
      }
    }
    for (name, values) in [
      ("blocks allocated", allocated), ("BAT probes per request", probes), ("requests", requests),
    ] {
      let a = confidence999(values[.request]!)
      let b = confidence999(values[.epoch(length: .seconds(7))]!)
      // The difference of means lies within the two 99.9 % half-widths together.
      #expect(
        abs(a.mean - b.mean) <= a.halfWidth + b.halfWidth,
        "\(name): request \(a.mean) ± \(a.halfWidth), epoch \(b.mean) ± \(b.halfWidth)")
    }
  }
}

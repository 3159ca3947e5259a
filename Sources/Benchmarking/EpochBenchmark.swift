// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import VHD
import Workloads

/// `vhdsim bench epoch`: what epoch resolution (docs/simulation.md#epoch-resolution) costs per
/// simulated write. One VM's hour at 20 requests/s, half writes, 4–64 KiB, on a 50 GiB disk: the
/// sampler's time per write (uniform and Zipf addresses), and `markWritten`'s time per touched block
/// applying those hours to a dynamic VHD on the metadata-only device (the leaf fills as they add up).
public enum EpochBenchmark {
  public static func run(intervals: Int = 48, diskGiB: UInt64 = 50) throws -> BenchReport {
    var report = BenchReport(name: "epoch")
    let diskSectors = diskGiB << 21
    let sizes = try SizeMix(parsing: "4k/25:16k/25:32k/25:64k/25")
    let expected = 20.0 * 3600
    var totalWrites = 0
    var totalBlocks = 0
    for (name, distribution) in [("uniform", AddressDistribution.uniform), ("zipf", .zipf(theta: 1.0))] {
      let addresses = try AddressSampler(
        distribution: distribution, alignment: .aligned4K, region: 0..<diskSectors,
        maximumRequestSectors: sizes.maximumBytes / 512)
      var sampler = try EpochWriteSampler(
        placement: .random(addresses), sizes: sizes, region: 0..<diskSectors, diskSectors: diskSectors)
      let random = RandomStream(scenario: "bench-epoch", replication: 0, stream: name)
      var writes = 0
      let wall = seconds {
        for _ in 0..<intervals {
          writes += sampler.sample(expectedRequests: expected, readFraction: 0.5, random: random).writes
        }
      }
      report.add("sampler_ns_per_write_\(name)", wall * 1e9 / Double(writes))
      if name == "uniform" { totalWrites = writes }
    }

    let storage = MemoryStorage(flavour: .metadataOnly)
    _ = try VHDImage.createDynamic("/sr/leaf.vhd", size: diskSectors * 512, storage: storage)
    let chain = try VHDChain.open("/sr/leaf.vhd", storage: storage, writable: true)
    let addresses = try AddressSampler(
      distribution: .uniform, alignment: .aligned4K, region: 0..<diskSectors,
      maximumRequestSectors: sizes.maximumBytes / 512)
    var sampler = try EpochWriteSampler(
      placement: .random(addresses), sizes: sizes, region: 0..<diskSectors, diskSectors: diskSectors)
    let random = RandomStream(scenario: "bench-epoch", replication: 0, stream: "apply")
    var accounting = RequestAccounting()
    var applyWall = 0.0
    for _ in 0..<intervals {
      _ = sampler.sample(expectedRequests: expected, readFraction: 0.5, random: random)
      let set = sampler.writes
      applyWall += try seconds {
        for i in set.blocks.indices {
          try set.withMask(i) {
            try chain.markWritten(block: set.blocks[i], mask: $0, accounting: &accounting)
          }
        }
      }
      totalBlocks += set.blocks.count
    }
    report.add("mark_written_ns_per_block", applyWall * 1e9 / Double(totalBlocks))
    // The year's guests (10 writes/s) over a day, as a per-block exact sampler would draw them.
    let floor = ExactSamplerFloor.measure(
      blocks: Int(diskSectors / 4096), writesPerBlock: 10 * 86_400 / Double(diskSectors / 4096),
      intervals: 100)
    report.add("exact_sampler_floor_ns_per_write", floor.nanosecondsPerWrite)
    report.add("exact_sampler_floor_covered_fraction", Double(floor.coveredPages) / Double(floor.pages))
    report.add("writes_per_interval", Double(totalWrites) / Double(intervals))
    report.add("blocks_touched_per_interval", Double(totalBlocks) / Double(intervals))
    report.add("disk_blocks", Double(diskSectors / 4096))
    report.note("workload", "20 requests/s × 3600 s, read fraction 0.5, 4k/25:16k/25:32k/25:64k/25")
    return report
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// Named workloads for quick looks (`vhdsim workload describe`) and as starting points in scenarios.
public enum WorkloadPreset: String, Hashable, Sendable, CaseIterable {
  /// 4 KiB random, 70 % reads, uniform over the disk, I/O depth 8: the classic VM benchmark.
  case random4k = "random-4k"
  /// 1 MiB sequential writes, contiguous, I/O depth 4: a backup restore or a big copy.
  case sequential1m = "sequential-1m"
  /// fio-like size mix (4k/60:16k/25:64k/15), 70 % reads, Zipf θ = 1.2 over pages, 1 % flushes,
  /// Poisson at 2000/s: a database-like hot working set.
  case zipfHot = "zipf-hot"
  /// 4 KiB writes scattered over every 2 MiB block: the chain's worst case.
  case fragmenting
  /// `yum install kernel` on an ext4-like layout: ≈ 4 000 module files under temporary names and
  /// renamed, rpm's default of no payload fsync, rpmdb fsyncs, depmod, a 60 MB initramfs and a boot
  /// entry (``PackageInstallSpec/kernel(fsyncPolicy:)``). Needs a disk of at least 1 GiB; `requests`
  /// caps the stream (the whole install is about 7 000 requests, 450 MB).
  case yumInstall = "yum-install"
  /// A 50-file package the same way (``PackageInstallSpec/small(fsyncPolicy:)``).
  case yumSmall = "yum-small"

  /// The generator for `requests` requests on a disk of `diskSectors` sectors, its streams named after
  /// the preset under (scenario "workload", replication `seed`).
  public func makeGenerator(requests: Int, seed: UInt64, diskSectors: UInt64) throws(WorkloadError)
    -> any RequestGenerator
  {
    let streams = WorkloadStreams(seed: seed, name: rawValue)
    let region: Range<UInt64> = 0..<diskSectors
    switch self {
    case .random4k:
      return try SyntheticGenerator(
        SyntheticWorkload(
          arrivals: .closedLoop(ioDepth: 8), readFraction: 0.7, region: region, requestLimit: requests),
        streams: streams)
    case .sequential1m:
      return try SyntheticGenerator(
        SyntheticWorkload(
          arrivals: .closedLoop(ioDepth: 4), sizes: SizeMix(bytes: 1 << 20), readFraction: 0,
          address: .sequential(strideBytes: nil), region: region, requestLimit: requests),
        streams: streams)
    case .zipfHot:
      let mix: SizeMix
      do { mix = try SizeMix(parsing: "4k/60:16k/25:64k/15") } catch { throw WorkloadError("\(error)") }
      return try SyntheticGenerator(
        SyntheticWorkload(
          arrivals: .poisson(ratePerSecond: 2000), sizes: mix, readFraction: 0.7, flushProbability: 0.01,
          address: .zipf(theta: 1.2), region: region, requestLimit: requests),
        streams: streams)
    case .fragmenting:
      return try FragmentingGenerator(
        FragmentingWorkload(
          arrivals: .closedLoop(ioDepth: 8), diskSectors: diskSectors, requestLimit: requests),
        streams: streams)
    case .yumInstall:
      return try PackageInstallGenerator(
        .kernel(), diskSectors: diskSectors, streams: streams, requestLimit: requests)
    case .yumSmall:
      return try PackageInstallGenerator(
        .small(), diskSectors: diskSectors, streams: streams, requestLimit: requests)
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository
import VHD
import Workloads

/// A crash-consistency experiment: one VM writing through a generator to one VDI that starts empty,
/// with snapshots taken in the running pool and each checked by the `ConsistencyOracle`.
/// `vhdsim consistency` and the tests run through it.
public struct ConsistencyScenario {
  public enum Workload: String, Sendable, CaseIterable {
    /// 4 KiB random, 30 % reads, uniform over the disk.
    case random
    /// 64 KiB sequential writes, wrapping around the disk.
    case sequential
    /// 4 KiB writes scattered over every 2 MiB block.
    case fragmenting
    /// A yum-style package install (files written, fsynced, renamed). Not wired yet: the generator
    /// and the file-level check (`ConsistencyOracle.verifyFiles`) come with it.
    case yumInstall = "yum-install"
  }

  public var workload: Workload
  /// Snapshots, spread evenly over the run (at k·duration/(N+1)) unless `snapshotTimes` is set.
  public var snapshots: Int
  /// When to take the snapshots instead (a scenario's script); nil: evenly spread.
  public var snapshotTimes: [SimTime]?
  public var seed: UInt64
  public var duration: SimTime
  public var virtualSize: UInt64
  public var disk: DiskProfile
  public var sr: SRPlacement.Kind
  public var ioDepth: Int
  /// Chain depth before the run (every level empty).
  public var depth: Int
  /// Take the snapshots the broken way (no drain): for testing the oracle.
  public var skipDrain: Bool
  /// Replaces the built-in workloads' generator (e.g. the lead's yum generator); given the disk's
  /// sectors and the seed.
  public var makeCustomGenerator: ((UInt64, UInt64) throws -> any RequestGenerator)?

  public init(
    workload: Workload, snapshots: Int = 4, seed: UInt64 = 1, duration: SimTime = .seconds(1),
    virtualSize: UInt64 = 256 << 20, disk: DiskProfile = .nvme, sr: SRPlacement.Kind = .file,
    ioDepth: Int = 8, depth: Int = 2, skipDrain: Bool = false
  ) {
    self.workload = workload
    self.snapshots = snapshots
    self.seed = seed
    self.duration = duration
    self.virtualSize = virtualSize
    self.disk = disk
    self.sr = sr
    self.ioDepth = ioDepth
    self.depth = depth
    self.skipDrain = skipDrain
  }

  /// The workload's generator for a disk of `diskSectors` sectors.
  public func makeGenerator(diskSectors: UInt64) throws -> any RequestGenerator {
    if let makeCustomGenerator { return try makeCustomGenerator(diskSectors, seed) }
    let streams = WorkloadStreams(seed: seed, name: "consistency-" + workload.rawValue)
    let region: Range<UInt64> = 0..<diskSectors
    switch workload {
    case .random:
      return try SyntheticGenerator(
        SyntheticWorkload(arrivals: .closedLoop(ioDepth: ioDepth), readFraction: 0.3, region: region),
        streams: streams)
    case .sequential:
      return try SyntheticGenerator(
        SyntheticWorkload(
          arrivals: .closedLoop(ioDepth: ioDepth), sizes: SizeMix(bytes: 64 << 10), readFraction: 0,
          address: .sequential(strideBytes: nil), region: region),
        streams: streams)
    case .fragmenting:
      return try FragmentingGenerator(
        FragmentingWorkload(arrivals: .closedLoop(ioDepth: ioDepth), diskSectors: diskSectors),
        streams: streams)
    case .yumInstall:
      // The kernel-package install (rpm's default: no per-file fsync) through an ext4-like layout.
      do {
        return try PackageInstallGenerator(.kernel(), diskSectors: diskSectors, streams: streams)
      } catch { throw PoolError("\(error)") }
    }
  }

  /// Builds the empty chain and the pool, with the VM and the snapshots scheduled.
  public func makePool() throws -> (pool: PoolSimulation, vdi: Int) {
    guard snapshots >= 0 else { throw PoolError("snapshot count \(snapshots) must not be negative") }
    let storage = MemoryStorage(flavour: .inMemory)
    let sr = SR.forChains(
      storage: storage, kind: sr, capacity: disk.model.capacityBytes, engine: .init(), seed: seed)
    let uuid = try ChainSpec(
      depth: depth, virtualSize: virtualSize, baseFill: 0, writesPerSnapshot: 0, seed: seed
    ).build(in: sr, nameLabel: "vdi")
    let pool = try PoolSimulation(disk: disk.model, sr: sr, seed: seed, scenario: "consistency")
    pool.engineCPU = disk.engineCPU
    pool.recordWrites = true
    let vdi = try pool.attach(vdi: uuid)
    try pool.addVM(vdi: vdi, generator: makeGenerator(diskSectors: virtualSize / 512))
    let times =
      snapshotTimes
      ?? (0..<snapshots).map {
        SimTime(nanoseconds: duration.nanoseconds / Int64(snapshots + 1) * Int64($0 + 1))
      }
    for t in times { try pool.scheduleSnapshot(vdi: vdi, at: t, skipDrain: skipDrain) }
    return (pool, vdi)
  }

  /// Runs and verifies. For a package install it also checks the file-level promise: every file
  /// whose rename was durable before a snapshot is whole in that snapshot.
  /// `progress` as `PoolSimulation.run(for:progress:)`.
  public func run(progress: ((Double) -> Void)? = nil) throws -> (
    result: RunResult, report: ConsistencyReport, files: FileCheck?
  ) {
    let (pool, vdi) = try makePool()
    let result = try pool.run(for: duration, progress: progress)
    let oracle = try ConsistencyOracle(pool: pool)
    let report = try oracle.verify()
    guard let install = pool.generator(vm: 0) as? PackageInstallGenerator else {
      return (result, report, nil)
    }
    let extents = install.files.compactMap { f in
      f.durableAt.map { FileExtents(name: f.name, vdi: vdi, sectors: f.extents, durableBySequence: $0) }
    }
    var check = FileCheck(filesDurable: extents.count)
    for snap in pool.snapshots where snap.takenAt != nil {
      let (checked, bad) = try oracle.checkFiles(snapshot: snap.index, extents: extents)
      check.filesChecked += checked
      check.mismatches += bad
    }
    return (result, report, check)
  }

  /// The file-level result of a package-install run.
  public struct FileCheck: Sendable, Equatable {
    /// Files that became durable during the run.
    public var filesDurable: Int
    /// (snapshot, file) pairs checked: files durable before each snapshot.
    public var filesChecked = 0
    public var mismatches: [FileMismatch] = []
    public init(filesDurable: Int) { self.filesDurable = filesDurable }
  }
}

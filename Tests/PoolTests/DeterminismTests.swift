// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import Testing
import VHD

@Suite struct DeterminismTests {
  func run(seed: UInt64, disk: any DiskModel, sr: SRPlacement.Kind) throws -> RunResult {
    let (pool, vdi) = try makePool(depth: 5, disk: disk, sr: sr, seed: seed, writesPerSnapshot: 16)
    pool.sampleInterval = .milliseconds(5)
    try pool.addVM(vdi: vdi, workload: WorkloadSpec(readFraction: 0.6, arrivals: .closedLoop(ioDepth: 8)))
    try pool.addVM(
      vdi: vdi,
      workload: WorkloadSpec(
        pattern: .sequential, readFraction: 0.5, requestBytes: 65536,
        arrivals: .openLoop(ratePerSecond: 2_000)))
    return try pool.run(for: .milliseconds(100))
  }

  @Test(arguments: [SRPlacement.Kind.file, .lvm])
  func sameSeedSameDigestDifferentSeedDifferent(sr: SRPlacement.Kind) throws {
    for disk: any DiskModel in [SSDModel.nvmeDatacenter, RotatingDiskModel.sata7200, ISCSIModel.iscsi10GbE] {
      let a = try run(seed: 7, disk: disk, sr: sr)
      let b = try run(seed: 7, disk: disk, sr: sr)
      let c = try run(seed: 8, disk: disk, sr: sr)
      #expect(a.requests > 0)
      #expect(a.digest == b.digest)
      #expect(a == b)
      #expect(a.digest != c.digest)
      #expect(a.timeSeries.count == 21)  // 0, 5, …, 100 ms
    }
  }
}

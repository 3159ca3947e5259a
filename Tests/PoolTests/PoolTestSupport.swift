// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import StorageRepository
import VHD

/// A pool with one VDI of `depth` levels (data only in the base unless `writesPerSnapshot` > 0) on a
/// metadata-only memory device, ready for VMs.
func makePool(
  depth: Int, disk: any DiskModel = SSDModel.nvmeDatacenter, sr: SRPlacement.Kind = .file,
  engine: EngineOptions = .init(), seed: UInt64 = 1, virtualSize: UInt64 = 64 << 20,
  writesPerSnapshot: Int = 0,
  maxOutstanding: Int = 64
) throws -> (PoolSimulation, Int) {
  let storage = MemoryStorage(flavour: .metadataOnly)
  let repository = SR.forChains(
    storage: storage, kind: sr, capacity: disk.capacityBytes, engine: engine, seed: seed)
  let uuid = try ChainSpec(
    depth: depth, virtualSize: virtualSize, writesPerSnapshot: writesPerSnapshot, seed: 11
  )
  .build(in: repository, nameLabel: "vdi")
  let pool = try PoolSimulation(disk: disk, sr: repository, seed: seed)
  let vdi = try pool.attach(vdi: uuid, maxOutstanding: maxOutstanding)
  return (pool, vdi)
}

/// Mean and half-width of a two-sided 99.9% Student-t interval (n = 10 → t = 4.781).
func confidence999(_ xs: [Double]) -> (mean: Double, halfWidth: Double) {
  let n = Double(xs.count)
  let mean = xs.reduce(0, +) / n
  let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
  precondition(xs.count == 10, "t quantile tabulated for n = 10")
  return (mean, 4.781 * (variance / n).squareRoot())
}

/// The first index where two arrays differ, for failure messages that do not print whole arrays.
func firstMismatch<T: Equatable>(_ a: [T], _ b: [T]) -> String? {
  if a.count != b.count { return "counts differ: \(a.count) vs \(b.count)" }
  for i in a.indices where a[i] != b[i] { return "index \(i): \(a[i]) vs \(b[i])" }
  return nil
}

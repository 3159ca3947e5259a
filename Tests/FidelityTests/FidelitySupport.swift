// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import StorageRepository
import VHD

/// A pool over an in-memory file or LVM SR with one VDI of `virtualSize` and a 4 KiB random writer at
/// `writeRate` requests/s over its first `region` bytes, under `gc` (the upstream defaults unless a
/// test says otherwise: costs on, 300 s quiet period).
func fidelityPool(
  kind: SRKind = .file, gc: GCSettings, virtualSize: UInt64 = 64 << 20, writeRate: Double = 50,
  region: UInt64 = 8 << 20, capacity: UInt64 = 8 << 30, seed: UInt64 = 1
) throws -> (pool: PoolSimulation, sr: SR, vdi: Int, uuid: String) {
  let sr = SR(
    storage: MemoryStorage(flavour: .inMemory), directory: "/sr", kind: kind, capacity: capacity,
    stamps: StampSequence(seed: seed))
  let record = try sr.createVDI(nameLabel: "vm", virtualSize: virtualSize)
  let pool = try PoolSimulation(disk: flash, sr: sr, gc: gc, seed: seed)
  pool.recordWrites = true
  let vdi = try pool.attach(vdi: record.uuid)
  if writeRate > 0 {
    try pool.addVM(
      vdi: vdi,
      workload: WorkloadSpec(
        readFraction: 0, requestBytes: 4096, arrivals: .openLoop(ratePerSecond: writeRate), region: 0..<region
      ))
  }
  return (pool, sr, vdi, record.uuid)
}

/// A flash device slow enough (40 MB/s each way) for copies to take measurable time.
let flash = SSDModel(
  readLatency: .microseconds(100), writeLatency: .microseconds(50), readBandwidth: 40e6, writeBandwidth: 40e6,
  channels: 4, capacityBytes: 64 << 30)

/// Runs until the GC has run and gone idle after `after`, in one-second slices, at most to `limit`.
@discardableResult
func runUntilGCIdle(_ pool: PoolSimulation, after: SimTime, limit: SimTime) throws -> RunResult {
  var r = try pool.run(for: after - pool.now)
  while pool.now < limit {
    if let gc = r.gc, gc.counts.runs > 0, !pool.gcAlive { return r }
    r = try pool.run(for: .seconds(1))
  }
  return r
}

/// GC settings as upstream but with no quiet period (the systemd-kicked path), a design and costs.
func gcSettings(_ design: LeafCoalesceDesign, costs: GCCosts = GCCosts()) -> GCSettings {
  GCSettings(quietPeriod: .zero, costs: costs, leafDesign: design)
}

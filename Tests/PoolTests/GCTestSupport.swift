// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import Simulation
import StorageRepository
import VHD

/// A pool over a fresh SR on an in-memory device (data kept, so the VDIs can be checked against their
/// write logs), with `vdis` empty VDIs attached and a random writer on each.
func makeSRPool(
  kind: SRKind = .file, design: LeafCoalesceDesign = .none, gc: GCSettings = GCSettings(quietPeriod: .zero),
  vdis: Int = 1, virtualSize: UInt64 = 64 << 20, writeRate: Double = 50, requestBytes: Int = 4096,
  seed: UInt64 = 1, disk: any DiskModel = SSDModel.nvmeDatacenter, capacity: UInt64 = 8 << 30,
  region: Range<UInt64>? = nil
) throws -> (pool: PoolSimulation, sr: SR, vdis: [Int]) {
  let storage = MemoryStorage(flavour: .inMemory)
  let sr = SR(
    storage: storage, directory: "/sr", kind: kind, capacity: capacity, stamps: StampSequence(seed: seed))
  var settings = gc
  settings.leafDesign = design
  let pool = try PoolSimulation(disk: disk, sr: sr, gc: settings, seed: seed)
  pool.recordWrites = true
  var attached: [Int] = []
  for k in 0..<vdis {
    let record = try sr.createVDI(nameLabel: "disk\(k)", virtualSize: virtualSize)
    let vdi = try pool.attach(vdi: record.uuid)
    if writeRate > 0 {
      try pool.addVM(
        vdi: vdi,
        workload: WorkloadSpec(
          readFraction: 0, requestBytes: requestBytes, arrivals: .openLoop(ratePerSecond: writeRate),
          region: region))
    }
    attached.append(vdi)
  }
  return (pool, sr, attached)
}

/// Runs in slices of `slice` until the GC process has exited after `after` (or `limit` passes).
func runUntilGCIdle(_ pool: PoolSimulation, after: SimTime, slice: SimTime = .seconds(1), limit: SimTime)
  throws
  -> RunResult
{
  var r = try pool.run(for: after - pool.now)
  while pool.now < limit {
    if let gc = r.gc, gc.counts.runs > 0, !pool.gcAlive { return r }
    r = try pool.run(for: slice)
  }
  return r
}

/// A slow flash device (40 MB/s each way, 4 channels) on which copies take measurable time.
let slowDisk = SSDModel(
  readLatency: .microseconds(100), writeLatency: .microseconds(50), readBandwidth: 40e6, writeBandwidth: 40e6,
  channels: 4, capacityBytes: 64 << 30)

/// Leaf-coalesce work prepared behind the pool's back: a VDI with 2 MiB in its base copy and
/// `leafBytes` written from offset 0 into its leaf, the base's other child (the snapshot) deleted.
/// Returns the VDI's uuid; attaching it to a pool (whose SR attach kicks the GC) starts the work.
func prepareLeafWork(_ sr: SR, virtualSize: UInt64, leafBytes: Int) throws -> String {
  let vdi = try sr.createVDI(nameLabel: "leafy", virtualSize: virtualSize)
  let chain = try VHDChain.open(vdi.path, storage: sr.storage, writable: true, options: sr.engineOptions)
  try chain.write(byteOffset: virtualSize - (2 << 20), bytes: [UInt8](repeating: 0x11, count: 2 << 20))
  try chain.close()
  let made = try sr.snapshot(vdi.uuid)
  let leaf = try VHDChain.open(vdi.path, storage: sr.storage, writable: true, options: sr.engineOptions)
  var offset: UInt64 = 0
  while offset < UInt64(leafBytes) {
    let n = Swift.min(4 << 20, leafBytes - Int(offset))
    try leaf.write(byteOffset: offset, bytes: [UInt8](repeating: 0x22, count: n))
    offset += UInt64(n)
  }
  try leaf.close()
  if let s = made.snapshot { try sr.delete(s.uuid) }
  return vdi.uuid
}

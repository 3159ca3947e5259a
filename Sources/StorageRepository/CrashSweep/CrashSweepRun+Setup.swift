// SPDX-License-Identifier: GPL-3.0-or-later

/// The deterministic starting shapes of the crash sweep's operations. Every node's data comes from
/// the guest's seeded writes, so the copies the operations make move real, distinguishable bytes.
extension CrashSweepRun {
  func setUp() throws {
    let writes = configuration.setupWrites
    vdi = try createDisk(label: "vm-disk")
    try guestFillWholeDisk(vdi)
    try guestWrites(vdi, writes)
    switch operation {
    case .snapshot:
      break
    case .coalesce, .coalesceGrow:
      // B1 → {V, S1}; V written; B1 → {B2 → {V, S2}, S1}; V written; S1 deleted: B1 → B2 → {V, S2}.
      // With growth, V is resized before the second snapshot, so B2 is larger than B1.
      let first = try snapshot(vdi)
      try guestWrites(vdi, writes)
      if operation == .coalesceGrow { try resizeDisk(vdi) }
      let second = try snapshot(vdi)
      try guestWrites(vdi, writes)
      guard let s1 = first.snapshot?.uuid, let b2 = second.baseCopy?.uuid else {
        throw CrashSweepError.referenceRunFailed(
          operation: operation.name, sr: "\(sr.kind)", reason: "setup snapshots left no base copy")
      }
      try delete(s1)
      named["B2"] = b2
    case .leafLive, .leafSnapshotCoalesce, .leafOffline, .leafMirror, .leafLiveGrow:
      // B → {V, S}; V written; S deleted: B → V, V leaf-coalesceable. With growth, V is resized
      // after the snapshot, so it is larger than B.
      let made = try snapshot(vdi)
      try guestWrites(vdi, writes)
      if operation == .leafLiveGrow { try resizeDisk(vdi) }
      guard let s = made.snapshot?.uuid else {
        throw CrashSweepError.referenceRunFailed(
          operation: operation.name, sr: "\(sr.kind)", reason: "setup snapshot left no snapshot")
      }
      try delete(s)
    }
  }

  /// The size a grow scenario resizes V to: the smallest whose BAT needs one more sector than the
  /// disk's own (128 slots a sector), so growing the parent moves a data block.
  var grownSize: UInt64 {
    let slots = (configuration.virtualSize / VHDSpace.blockSize + 128) / 128 * 128 + 1
    return slots * VHDSpace.blockSize
  }

  /// The VM is shut down, its disk resized (`vdi_resize`), started again, and the guest writes one
  /// block's worth past the old end (so the coalesce copies data the parent could not hold).
  func resizeDisk(_ uuid: String) throws {
    try sr.detach(uuid, writable: true)
    try sr.resize(uuid, to: grownSize)
    let old = oracle.disks[uuid]?.count ?? 0
    oracle.disks[uuid]? += [UInt8](repeating: 0, count: Int(grownSize) - old)
    try sr.attach(uuid, writable: true)
    try guestWrite(uuid, sector: UInt64(old / 512) + 1024, count: 64)
  }
}

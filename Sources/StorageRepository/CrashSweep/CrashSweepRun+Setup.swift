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
    case .coalesce:
      // B1 → {V, S1}; V written; B1 → {B2 → {V, S2}, S1}; V written; S1 deleted: B1 → B2 → {V, S2}.
      let first = try snapshot(vdi)
      try guestWrites(vdi, writes)
      let second = try snapshot(vdi)
      try guestWrites(vdi, writes)
      guard let s1 = first.snapshot?.uuid, let b2 = second.baseCopy?.uuid else {
        throw CrashSweepError.referenceRunFailed(
          operation: operation.name, sr: "\(sr.kind)", reason: "setup snapshots left no base copy")
      }
      try delete(s1)
      named["B2"] = b2
    case .leafLive, .leafSnapshotCoalesce, .leafOffline, .leafMirror:
      // B → {V, S}; V written; S deleted: B → V, V leaf-coalesceable.
      let made = try snapshot(vdi)
      try guestWrites(vdi, writes)
      guard let s = made.snapshot?.uuid else {
        throw CrashSweepError.referenceRunFailed(
          operation: operation.name, sr: "\(sr.kind)", reason: "setup snapshot left no snapshot")
      }
      try delete(s)
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import StorageRepository
import VHD

extension ChainSpec {
  /// Creates the chain as a VDI of `sr` (`vdi_create`, then `depth − 1` single snapshots, each
  /// followed by the spec's random writes), so the GC sees the tree the storage manager would have
  /// made — except that a level left empty (`writesPerSnapshot` 0) stays in the chain, as
  /// `vhd-util snapshot -e` would keep it, so a study gets the depth it asked for. The data written is the same as `build(in:)` writes for the same spec. Returns the VDI's
  /// uuid.
  public func build(in sr: SR, nameLabel: String) throws -> String {
    guard depth >= 1, depth <= sr.depthLimit else {
      throw PoolError("chain depth \(depth) must be 1...\(sr.depthLimit)")
    }
    guard virtualSize >= UInt64(VHDLimits.blockSize), virtualSize % UInt64(VHDLimits.blockSize) == 0 else {
      throw PoolError("virtual size \(virtualSize) must be a positive multiple of the 2 MiB block size")
    }
    var writer = Writer(spec: self)
    defer { writer.release() }
    _ = writer.next()  // the first draw once named the files' UUIDs; kept so write positions stay put
    let uuid = try sr.createVDI(nameLabel: nameLabel, virtualSize: virtualSize).uuid
    let path = sr.path(of: uuid)
    let options = sr.engineOptions
    try writer.fillBase(try VHDChain.open(path, storage: sr.storage, writable: true, options: options))
    for _ in 1..<depth {
      try sr.snapshotKeepingEmptyParents(uuid, kind: .single)
      guard writesPerSnapshot > 0 else { continue }
      try writer.scatter(try VHDChain.open(path, storage: sr.storage, writable: true, options: options))
    }
    return uuid
  }
}

extension SR {
  /// The SR of a study of fixed chains (no GC): in folder `/sr` of `storage`, laid out as `kind` (an
  /// LVM SR thin-provisioned, so an attached leaf is inflated and its parents are not), as large as
  /// the device, stamped from `seed`.
  public static func forChains(
    storage: any Storage, kind: SRPlacement.Kind, capacity: UInt64, engine: EngineOptions, seed: UInt64
  ) -> SR {
    SR(
      storage: storage, directory: "/sr", kind: kind == .file ? .file : .lvm(.thin), capacity: capacity,
      engineOptions: engine, stamps: StampSequence(seed: seed))
  }
}

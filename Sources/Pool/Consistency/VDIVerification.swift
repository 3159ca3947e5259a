// SPDX-License-Identifier: GPL-3.0-or-later
import VHD

extension PoolSimulation {
  /// Checks that VDI `vdi`, read now through a freshly opened chain of its leaf, holds exactly what
  /// its write log says: every sector some write touched carries the `SectorTag` of the last write
  /// (in log order, the order data reached the engine) that covered it. This is the end-of-run check
  /// for chains the GC rewrote (coalesce, leaf coalesce, snapshots): nothing lost, nothing stale.
  /// Needs `recordWrites`, an `.inMemory` device and a VDI that started empty. Returns the first
  /// mismatching sector (as a `ConsistencyMismatch` with `snapshot` −1), or nil.
  public func verifyVDI(_ vdi: Int) throws -> ConsistencyMismatch? {
    guard recordWrites else { throw PoolError("verifyVDI needs recordWrites") }
    if let memory = storage as? MemoryStorage, memory.flavour != .inMemory {
      throw PoolError("verifyVDI needs a device that keeps data (MemoryStorage .inMemory)")
    }
    guard model.tapdisks.indices.contains(vdi) else { throw PoolError("no attached VDI \(vdi)") }
    let path = model.tapdisks[vdi].leafPath
    let chain = try VHDChain.open(path, storage: storage, writable: false, options: engine)
    let sectors = Int(chain.virtualSize / 512)
    var expected = [UInt64](repeating: 0, count: sectors)
    var touched = [Bool](repeating: false, count: sectors)
    for w in model.journal.writeLogs[vdi] {
      for s in 0..<w.sectors where Int(w.lba) + s < sectors {
        expected[Int(w.lba) + s] = SectorTag.tag(write: w.sequence, lba: w.lba + UInt64(s))
        touched[Int(w.lba) + s] = true
      }
    }
    let chunk = 2048
    var buffer = [UInt8](repeating: 0, count: chunk * 512)
    var accounting = RequestAccounting()
    var start = 0
    while start < sectors {
      let n = Swift.min(chunk, sectors - start)
      try buffer.withUnsafeMutableBytes {
        try chain.read(sector: UInt64(start), count: n, into: $0.baseAddress!, accounting: &accounting)
      }
      for k in 0..<n where touched[start + k] {
        let want = expected[start + k]
        let found: UInt64? = buffer.withUnsafeBytes { raw in
          for word in 0..<64 {
            let v = UInt64(
              littleEndian: raw.loadUnaligned(fromByteOffset: k * 512 + word * 8, as: UInt64.self))
            if v != want { return v }
          }
          return nil
        }
        if let found {
          return ConsistencyMismatch(
            snapshot: -1, vdi: vdi, lba: UInt64(start + k), expected: want, found: found)
        }
      }
      start += n
    }
    return nil
  }
}

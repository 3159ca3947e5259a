// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

@testable import StorageRepository

#if canImport(Glibc)
  import Glibc
#endif

/// Virtual size of the disks the GC tests use: four 2 MiB blocks, small enough to compare whole.
let oracleDiskSize: UInt64 = 8 * miB

/// The flat oracle of the GC tests: what every visible VDI must read, byte for byte, kept by
/// doing every guest write both to the VDI (through the engine) and to a flat array.
final class DiskOracle {
  var disks: [String: [UInt8]] = [:]
  var random: SplitMix64
  let diskSize: UInt64

  init(seed: UInt64, diskSize: UInt64 = oracleDiskSize) {
    random = SplitMix64(seed: seed)
    self.diskSize = diskSize
  }

  /// Creates a VDI of `diskSize` (all zeros).
  @discardableResult
  func create(_ sr: SR, label: String = "disk") throws -> String {
    let r = try sr.createVDI(nameLabel: label, virtualSize: diskSize)
    disks[r.uuid] = [UInt8](repeating: 0, count: Int(diskSize))
    return r.uuid
  }

  /// A guest write of random bytes at `sector` (attached read-write around it, as a VM would be).
  func write(_ sr: SR, _ uuid: String, sector: UInt64, count: Int) throws {
    var bytes = [UInt8](repeating: 0, count: count * 512)
    for i in stride(from: 0, to: bytes.count, by: 8) {
      let v = random.next()
      for k in 0..<8 { bytes[i + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
    }
    try sr.attach(uuid, writable: true)
    let chain = try VHDChain.open(sr.path(of: uuid), storage: sr.storage, writable: true)
    try chain.write(sector: sector, bytes: bytes)
    try chain.close()
    try sr.detach(uuid, writable: true)
    disks[uuid]!.replaceSubrange(Int(sector) * 512..<(Int(sector) * 512 + bytes.count), with: bytes)
  }

  /// A random write of 1–64 sectors anywhere on the disk.
  func randomWrite(_ sr: SR, _ uuid: String) throws {
    let count = Int(random.next() % 64) + 1
    let sector = random.next() % (diskSize / 512 - UInt64(count))
    try write(sr, uuid, sector: sector, count: count)
  }

  @discardableResult
  func snapshot(_ sr: SR, _ uuid: String, kind: SnapshotKind = .double) throws -> SnapshotResult {
    let r = try sr.snapshot(uuid, kind: kind)
    if let s = r.snapshot { disks[s.uuid] = disks[uuid] }
    return r
  }

  @discardableResult
  func clone(_ sr: SR, _ uuid: String) throws -> SnapshotResult {
    let r = try sr.clone(uuid)
    if let s = r.snapshot { disks[s.uuid] = disks[uuid] }
    return r
  }

  func delete(_ sr: SR, _ uuid: String) throws {
    try sr.delete(uuid)
    disks[uuid] = nil
  }

  /// Visible VDIs of the SR, sorted.
  static func visible(_ sr: SR) -> [String] {
    sr.records.values.filter { !$0.hidden }.map(\.uuid).sorted()
  }

  /// The first way the SR differs from the oracle: a visible VDI the oracle does not know (or the
  /// reverse), or the first differing byte of a VDI. nil when every VDI reads exactly its oracle.
  func firstMismatch(_ sr: SR) -> String? {
    let visible = Self.visible(sr)
    guard visible == disks.keys.sorted() else {
      return "visible VDIs \(visible) but the oracle has \(disks.keys.sorted())"
    }
    for uuid in visible {
      if let m = Self.firstMismatch(sr, uuid, expected: disks[uuid]!) { return m }
    }
    return nil
  }

  /// The first byte where VDI `uuid` differs from `expected`, or nil.
  static func firstMismatch(_ sr: SR, _ uuid: String, expected: [UInt8]) -> String? {
    do {
      let chain = try VHDChain.open(sr.path(of: uuid), storage: sr.storage)
      guard chain.virtualSize == UInt64(expected.count) else {
        return "\(uuid): virtual size \(chain.virtualSize), expected \(expected.count)"
      }
      let step = 2048
      var sector = 0
      while sector * 512 < expected.count {
        let n = min(step, expected.count / 512 - sector)
        let got = try chain.read(sector: UInt64(sector), count: n)
        let want = expected[(sector * 512)..<((sector + n) * 512)]
        let same = got.withUnsafeBytes { g in
          want.withUnsafeBytes { w in memcmp(g.baseAddress!, w.baseAddress!, g.count) == 0 }
        }
        if !same, let i = got.indices.first(where: { got[$0] != want[want.startIndex + $0] }) {
          let offset = sector * 512 + i
          return "\(uuid): byte \(offset) reads \(got[i]), expected \(want[want.startIndex + i])"
        }
        sector += n
      }
      return nil
    } catch {
      return "\(uuid): \(error)"
    }
  }
}

/// Every problem `vhd-util check` finds in any node of the SR (each node alone, parent UUIDs
/// checked against the scan's parent).
func nodeProblems(_ sr: SR) throws -> [CheckProblem] {
  var problems: [CheckProblem] = []
  for node in try sr.scanTree().nodes {
    problems += VHDCheck.check(
      path: node.path, storage: sr.storage, options: CheckOptions(now: 1_800_000_000))
  }
  return problems
}

/// The SR's used space as the VG counts it, without the clamp of `freeSpace`.
func usedSpace(_ sr: SR) throws -> UInt64 { try sr.space.physicalUtilisation() }

/// Chain depth of a VDI in a fresh scan.
func depth(_ sr: SR, _ uuid: String) throws -> Int { try sr.scanTree().depth(of: uuid) }

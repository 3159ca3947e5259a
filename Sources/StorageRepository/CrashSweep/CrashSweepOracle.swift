// SPDX-License-Identifier: GPL-3.0-or-later

import VHD

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What every user-visible VDI must read, kept flat beside the SR: each completed guest write is
/// applied to it too. A guest write the crash interrupted is kept apart (`interrupted`): each of
/// its sectors may read old or new afterwards, and nothing else may differ.
public struct CrashSweepOracle: Sendable {
  /// A guest write that did not complete (the crash hit it).
  public struct InterruptedWrite: Equatable, Sendable {
    public var vdi: String
    public var sector: UInt64
    public var bytes: [UInt8]
  }

  /// A VDI that may or may not exist after recovery (a snapshot's leaf): if present it must read
  /// `content` and carry `isSnapshot`.
  public struct OptionalVDI: Equatable, Sendable {
    public var content: [UInt8]
    public var isSnapshot: Bool
  }

  /// Expected content of every VDI that must exist, by uuid.
  public var disks: [String: [UInt8]] = [:]
  /// VDIs allowed to appear (an interrupted snapshot may have completed).
  public var optional: [String: OptionalVDI] = [:]
  public var interrupted: InterruptedWrite?

  public init() {}

  /// Applies a completed write.
  public mutating func apply(_ vdi: String, sector: UInt64, bytes: [UInt8]) {
    let start = Int(sector) * 512
    disks[vdi]?.replaceSubrange(start..<(start + bytes.count), with: bytes)
  }

  /// Resolves the interrupted write from what `sr` reads now: each of its sectors becomes whatever
  /// it reads (old or new, which `firstMismatch` has already required), so later checks (after the
  /// GC) demand that it stays that way. Also pins the optional VDIs that exist to required ones.
  public mutating func settle(on sr: SR) {
    if let w = interrupted, let chain = try? VHDChain.open(sr.path(of: w.vdi), storage: sr.storage),
      let now = try? chain.read(sector: w.sector, count: w.bytes.count / 512)
    {
      apply(w.vdi, sector: w.sector, bytes: now)
    }
    interrupted = nil
    let visible = Set(Self.visibleVDIs(sr))
    for (uuid, v) in optional where visible.contains(uuid) { disks[uuid] = v.content }
    optional = [:]
  }

  /// Visible VDIs of the SR (records not hidden), sorted.
  public static func visibleVDIs(_ sr: SR) -> [String] {
    sr.records.values.filter { !$0.hidden }.map(\.uuid).sorted()
  }

  /// The first way the SR's visible VDIs differ from what they must hold, or nil.
  public func firstMismatch(_ sr: SR) -> String? {
    let visible = Self.visibleVDIs(sr)
    let visibleSet = Set(visible)
    for uuid in disks.keys.sorted() where !visibleSet.contains(uuid) { return "VDI \(uuid) is gone" }
    for uuid in visible where disks[uuid] == nil {
      guard let v = optional[uuid] else { return "unexpected visible VDI \(uuid)" }
      if sr.records[uuid]?.isSnapshot != v.isSnapshot {
        return "VDI \(uuid): is-snapshot \(sr.records[uuid]?.isSnapshot == true), expected \(v.isSnapshot)"
      }
    }
    for uuid in visible {
      guard let expected = disks[uuid] ?? optional[uuid]?.content else { continue }
      if let m = Self.firstMismatch(
        sr, uuid, expected: expected, interrupted: interrupted?.vdi == uuid ? interrupted : nil)
      {
        return m
      }
    }
    return nil
  }

  /// The first sector where VDI `uuid` reads neither what `expected` holds nor (inside the
  /// interrupted write) what that write carried; nil when none.
  static func firstMismatch(_ sr: SR, _ uuid: String, expected: [UInt8], interrupted: InterruptedWrite?)
    -> String?
  {
    do {
      let path = try sr.record(uuid).path
      let chain = try VHDChain.open(path, storage: sr.storage, options: sr.engineOptions)
      guard chain.virtualSize == UInt64(expected.count) else {
        return "\(uuid): virtual size \(chain.virtualSize), expected \(expected.count)"
      }
      let chunk = 2048  // sectors per read (1 MiB)
      var got = [UInt8](repeating: 0, count: chunk * 512)
      var acc = RequestAccounting()
      let total = expected.count / 512
      var sector = 0
      while sector < total {
        let n = min(chunk, total - sector)
        try got.withUnsafeMutableBytes {
          try chain.read(sector: UInt64(sector), count: n, into: $0.baseAddress!, accounting: &acc)
        }
        let same = got.withUnsafeBytes { g in
          expected.withUnsafeBytes { e in memcmp(g.baseAddress!, e.baseAddress! + sector * 512, n * 512) == 0
          }
        }
        if !same {
          for s in 0..<n {
            let absolute = sector + s
            let want = expected[(absolute * 512)..<((absolute + 1) * 512)]
            let have = got[(s * 512)..<((s + 1) * 512)]
            if have.elementsEqual(want) { continue }
            if let w = interrupted, UInt64(absolute) >= w.sector,
              UInt64(absolute) < w.sector + UInt64(w.bytes.count / 512)
            {
              let i = (absolute - Int(w.sector)) * 512
              if have.elementsEqual(w.bytes[i..<(i + 512)]) { continue }
            }
            let byte =
              have.indices.first { have[$0] != want[$0 - have.startIndex + want.startIndex] }
              ?? have.startIndex
            let offset = byte - have.startIndex
            return "\(uuid): sector \(absolute) byte \(offset) reads \(have[byte]), "
              + "expected \(want[want.startIndex + offset])"
          }
        }
        sector += n
      }
      return nil
    } catch {
      return "\(uuid): cannot be read: \(error)"
    }
  }
}

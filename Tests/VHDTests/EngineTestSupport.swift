// SPDX-License-Identifier: GPL-3.0-or-later
@testable import VHD

/// Deterministic generator for test data and UUIDs.
struct TestRNG: RandomNumberGenerator {
  var generator: SplitMix64
  init(_ seed: UInt64) { generator = SplitMix64(seed: seed) }
  mutating func next() -> UInt64 { generator.next() }
  mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
  mutating func bytes(_ n: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: n)
    for i in out.indices { out[i] = UInt8(truncatingIfNeeded: next() | 1) }
    return out
  }
}

/// Fixed creation stamps so files are byte-reproducible.
func testStamp(_ n: UInt8, time: Int64 = CreationStamp.fixedUnixTime) -> CreationStamp {
  var b = [UInt8](repeating: n, count: 16)
  b[6] = 0x40 | (n & 0x0F)
  b[8] = 0x80 | (n & 0x3F)
  return CreationStamp(unixTime: time, uuid: DiskUUID(bytes: b))
}

/// The whole content of a device.
func contents(_ storage: any Storage, _ path: String) throws -> [UInt8] {
  let d = try storage.open(path, writable: false)
  var b = [UInt8](repeating: 0, count: Int(d.length))
  try b.withUnsafeMutableBytes { try d.read(into: $0, at: 0, kind: .data) }
  return b
}

/// Overwrites bytes of a stored file (to damage it).
func patch(_ storage: any Storage, _ path: String, at offset: UInt64, _ bytes: [UInt8]) throws {
  let d = try storage.open(path, writable: true)
  try bytes.withUnsafeBytes { try d.write($0, at: offset, kind: .data) }
}

/// Reads a whole chain's virtual disk.
func readAll(_ chain: VHDChain) throws -> [UInt8] {
  try chain.read(sector: 0, count: Int(chain.virtualSize / 512))
}

/// A flat oracle of a virtual disk: what a chain must read.
struct FlatOracle {
  var bytes: [UInt8]
  init(size: Int) { bytes = [UInt8](repeating: 0, count: size) }
  mutating func write(sector: Int, _ data: [UInt8]) {
    bytes.replaceSubrange(sector * 512..<sector * 512 + data.count, with: data)
  }
}

/// Where two byte arrays first differ (nil when equal): compare big buffers with this so a failure
/// prints one offset, not megabytes.
func firstMismatch(_ a: [UInt8], _ b: [UInt8]) -> Int? {
  if a == b { return nil }
  if a.count != b.count { return min(a.count, b.count) }
  return a.withUnsafeBufferPointer { x in
    b.withUnsafeBufferPointer { y in x.indices.first { x[$0] != y[$0] } }
  }
}

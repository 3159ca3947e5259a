// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import VHD

/// `MetadataOnlyDevice.writeZeroData(runsOf:count:at:)` (how `markWritten` marks a block's pieces
/// on a metadata-only device) must leave the state one data write per run leaves: the same data
/// sectors, stored metadata bytes, length and footprint, over chunk edges, stored sectors inside
/// the runs and far offsets.
@Suite struct MetadataOnlyBulkDataTests {
  static let zeros = [UInt8](repeating: 0, count: 4 << 20)

  /// A random mask of `bits` bits, most significant bit first: runs of random lengths, sometimes
  /// all set or empty words.
  static func randomMask(_ rng: inout TestRNG, bits: Int) -> [UInt64] {
    var mask = [UInt64](repeating: 0, count: (bits + 63) / 64)
    var i = rng.below(200)
    while i < bits {
      let run = rng.below(6) == 0 ? 1 + rng.below(1500) : 1 + rng.below(40)
      for b in i..<min(bits, i + run) { mask[b / 64] |= 1 << UInt64(63 - b % 64) }
      i += run + 1 + (rng.below(4) == 0 ? rng.below(1200) : rng.below(60))
    }
    return mask
  }

  /// The same random metadata, data and zeroing writes on both devices, within 4 chunks of `base`.
  static func scatter(_ rng: inout TestRNG, _ devices: [MetadataOnlyDevice], base: UInt64) throws {
    for _ in 0..<(5 + rng.below(30)) {
      let sector = base / 512 + UInt64(rng.below(4 * 4096))
      let bytes: [UInt8]
      switch rng.below(4) {
      case 0: bytes = [UInt8](repeating: 0xFF, count: 512)
      case 1: bytes = rng.bytes(512 * (1 + rng.below(3)))
      case 2: bytes = rng.bytes(1 + rng.below(700))
      default: bytes = []
      }
      let shift = UInt64(rng.below(2) * 100)
      let zeroLength = UInt64(512 * (1 + rng.below(64)))
      for d in devices {
        if bytes.isEmpty {
          try d.writeZeros(at: sector * 512, length: zeroLength, kind: .data)
        } else {
          try bytes.withUnsafeBytes { try d.write($0, at: sector * 512 + shift, kind: .bitmap) }
        }
      }
    }
  }

  /// Per run of `mask`, one zero data write, as the engine wrote them before the bulk path.
  static func writeRuns(_ mask: [UInt64], bits: Int, at offset: UInt64, on device: MetadataOnlyDevice) throws
  {
    try mask.withUnsafeBufferPointer { words in
      var failure: (any Error)?
      BitRuns.forEach(in: words.baseAddress!, from: 0, to: bits, order: .msbFirst) { s, e in
        do {
          try zeros.withUnsafeBytes {
            try device.write(
              UnsafeRawBufferPointer(rebasing: $0[..<((e - s) * 512)]), at: offset + UInt64(s) * 512,
              kind: .data)
          }
        } catch { failure = error }
      }
      if let failure { throw failure }
    }
  }

  static func expectSame(_ one: MetadataOnlyDevice, _ bulk: MetadataOnlyDevice, base: UInt64, _ note: String)
    throws
  {
    #expect(one.length == bulk.length, "\(note): length")
    #expect(one.writtenDataBytes == bulk.writtenDataBytes, "\(note): data bytes")
    #expect(one.metadataBytes == bulk.metadataBytes, "\(note): metadata bytes")
    #expect(one.writtenDataRanges() == bulk.writtenDataRanges(), "\(note): data ranges")
    let region = base..<min(one.length, base + 6 << 21)
    #expect(try one.dataRegions(in: region) == bulk.dataRegions(in: region), "\(note): regions")
    #expect(one.backing.footprint == bulk.backing.footprint, "\(note): footprint")
    guard region.lowerBound < region.upperBound else { return }
    var a = [UInt8](repeating: 0, count: region.count)
    var b = [UInt8](repeating: 0, count: region.count)
    try a.withUnsafeMutableBytes { try one.read(into: $0, at: region.lowerBound, kind: .bitmap) }
    try b.withUnsafeMutableBytes { try bulk.read(into: $0, at: region.lowerBound, kind: .bitmap) }
    #expect(firstMismatch(a, b) == nil, "\(note): stored bytes differ at \(firstMismatch(a, b) ?? -1)")
  }

  @Test(arguments: 0..<12)
  func bulkEqualsOneWritePerRun(seed: Int) throws {
    var rng = TestRNG(UInt64(seed) &* 0x9E37_79B9)
    // Near the start, across the 1 TiB edge of the chunk map's direct pages, and far out.
    let bases: [UInt64] = [0, (1 << 40) - (2 << 21), 1 << 52]
    let base = bases[seed % bases.count] + UInt64(rng.below(3)) << 21
    let one = MetadataOnlyDevice(name: "one")
    let bulk = MetadataOnlyDevice(name: "bulk")
    for round in 0..<8 {
      try Self.scatter(&rng, [one, bulk], base: base)
      let bits = [4096, 4096, 1024, 8192][rng.below(4)]
      let mask = Self.randomMask(&rng, bits: bits)
      // Not chunk-aligned: a VHD block's data starts one bitmap sector after its entry.
      let offset = base + UInt64(rng.below(2 * 4096)) * 512
      try Self.writeRuns(mask, bits: bits, at: offset, on: one)
      try mask.withUnsafeBufferPointer {
        try bulk.writeZeroData(runsOf: $0.baseAddress!, count: bits, at: offset)
      }
      try Self.expectSame(one, bulk, base: base, "seed \(seed) round \(round)")
    }
  }

  @Test func readOnlyHandleThrowsAndChangesNothing() throws {
    let device = MetadataOnlyDevice(name: "ro")
    try [UInt8](repeating: 7, count: 512).withUnsafeBytes { try device.write($0, at: 4096, kind: .bitmap) }
    let readOnly = device.reopen(writable: false)
    let mask = [UInt64](repeating: .max, count: 64)
    #expect(throws: DeviceError.self) {
      try mask.withUnsafeBufferPointer {
        try readOnly.writeZeroData(runsOf: $0.baseAddress!, count: 4096, at: 0)
      }
    }
    #expect(device.writtenDataBytes == 0 && device.length == 4608)
  }
}

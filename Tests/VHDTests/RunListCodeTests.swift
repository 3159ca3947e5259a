// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import VHD

/// `RunListCode` keeps a chunk record of a few dozen runs in 32–256 bytes: it must give back the
/// same 65 words, in the smallest class the edges fit, and refuse what does not fit.
@Suite struct RunListCodeTests {
  /// Runs as (first, end) pairs: `count` runs at random places, the first at bit 0 and the last
  /// ending at 4,096 when asked.
  static func randomRuns(_ rng: inout TestRNG, count: Int, atStart: Bool, atEnd: Bool) -> [(Int, Int)] {
    var edges = Set<Int>()
    if atStart { edges.insert(0) }
    if atEnd { edges.insert(4096) }
    while edges.count < 2 * count { edges.insert(rng.below(4097)) }
    let sorted = edges.sorted()
    return stride(from: 0, to: sorted.count - 1, by: 2).map { (sorted[$0], sorted[$0 + 1]) }
  }

  /// The LEB128 length of the edges' gaps plus the header: what the class must hold.
  static func codeBytes(_ runs: [(Int, Int)]) -> Int {
    var previous = 0
    var bytes = RunListCode.headerBytes
    for position in runs.flatMap({ [$0.0, $0.1] }) {
      bytes += position - previous < 128 ? 1 : 2
      previous = position
    }
    return bytes
  }

  @Test func roundTripsAndPicksTheSmallestClass() {
    var rng = TestRNG(0x52_554E)
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: RunListCode.maximumBytes, alignment: 8)
    defer { buffer.deallocate() }
    var coded = 0
    for trial in 0..<3000 {
      let count = trial % 3 == 0 ? rng.below(8) : rng.below(200)
      let runs = Self.randomRuns(&rng, count: count, atStart: rng.below(4) == 0, atEnd: rng.below(4) == 0)
      var words = [UInt64](repeating: 0, count: 65)
      for (first, end) in runs {
        for bit in first..<end { words[bit >> 6] |= 1 << UInt64(bit & 63) }
      }
      words[64] = rng.next()
      let size = Self.codeBytes(runs)
      let sizeClass = words.withUnsafeBufferPointer { RunListCode.encode($0.baseAddress!, into: buffer) }
      guard size <= RunListCode.maximumBytes else {
        #expect(sizeClass == nil, "trial \(trial): \(size) bytes of code cannot fit")
        continue
      }
      guard let sizeClass else {
        Issue.record("trial \(trial): \(size) bytes refused")
        continue
      }
      coded += 1
      #expect(RunListCode.classBytes[sizeClass] >= size)
      #expect(
        sizeClass == 0 || RunListCode.classBytes[sizeClass - 1] < size, "trial \(trial): not the smallest")
      var seen: [(Int, Int)] = []
      RunListCode.forEachRun(UnsafeRawPointer(buffer)) { seen.append(($0, $1)) }
      #expect(seen.map { [$0.0, $0.1] } == runs.map { [$0.0, $0.1] }, "trial \(trial)")
      var decoded = [UInt64](repeating: .max, count: 65)
      decoded.withUnsafeMutableBufferPointer {
        RunListCode.decode(UnsafeRawPointer(buffer), into: $0.baseAddress!)
      }
      #expect(decoded == words, "trial \(trial)")
      #expect(RunListCode.extraWord(UnsafeRawPointer(buffer)) == words[64])
    }
    #expect(coded > 1000)
  }

  /// A metadata-only file whose chunks hold tens of runs keeps them as records while it is
  /// written, as codes once it settles (a snapshot's parent), and reads back the same data
  /// sectors either way.
  @Test func chunksOfManyRunsAreCoded() throws {
    let device = MetadataOnlyDevice(name: "runs")
    let zeros = [UInt8](repeating: 0, count: 512)
    // 40 one-sector runs in each of 3 chunks, then a chunk of 1,000 runs (a record).
    for chunk in 0..<3 {
      for run in 0..<40 {
        try zeros.withUnsafeBytes {
          try device.write($0, at: UInt64(chunk << 21 + run * 100 * 512), kind: .data)
        }
      }
    }
    for run in 0..<1000 {
      try zeros.withUnsafeBytes { try device.write($0, at: UInt64(3 << 21 + run * 4 * 512), kind: .data) }
    }
    #expect(device.backing.footprint.records == 4)
    #expect(device.backing.recordBytes == 4 * 520)
    let before = device.writtenDataRanges()
    device.reopen(writable: false).settle()
    #expect(device.backing.footprint.records == 4)
    #expect(device.backing.recordBytes == 3 * 128 + 520)
    #expect(device.writtenDataRanges() == before)
    #expect(device.writtenDataBytes == UInt64(3 * 40 + 1000) * 512)
    let ranges = device.writtenDataRanges()
    #expect(ranges.count == 3 * 40 + 1000)
    let lastStart = UInt64(3 << 21 + 999 * 4 * 512)
    #expect(ranges.first == 0..<512)
    #expect(ranges.last == lastStart..<lastStart + 512)
    // Filling a coded chunk's gaps packs it into its entry again.
    try [UInt8](repeating: 0, count: 2 << 20).withUnsafeBytes { try device.write($0, at: 0, kind: .data) }
    #expect(device.backing.footprint.records == 3)
    #expect(device.backing.recordBytes == 2 * 128 + 520)
    // A coded chunk stays coded while its runs fit, and becomes a record again when they do not.
    try zeros.withUnsafeBytes { try device.write($0, at: UInt64(1 << 21 + 50 * 512), kind: .data) }
    #expect(device.backing.recordBytes == 2 * 128 + 520)
    for run in 0..<200 {
      try zeros.withUnsafeBytes {
        try device.write($0, at: UInt64(2 << 21 + (4095 - run * 2) * 512), kind: .data)
      }
    }
    #expect(device.backing.recordBytes == 128 + 2 * 520)
    #expect(device.writtenDataBytes == UInt64(2 << 20) + UInt64(2 * 40 + 1 + 200 + 1000) * 512)
  }
}

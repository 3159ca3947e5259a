// SPDX-License-Identifier: GPL-3.0-or-later
import SeededRandom
import Testing

@testable import VHD

@Suite struct ChunkEntryMapTests {
  /// Chunks around page edges, the end of the directly addressed pages, and far beyond it.
  private static let interesting: [UInt64] = {
    let page = UInt64(ChunkEntryMap.pageEntries)
    let direct = ChunkEntryMap.directPages * page
    var chunks: [UInt64] = [0, 1, page - 1, page, page + 1, 3 * page + 7, direct - 1, direct, direct + page]
    chunks += [1 << 40, (1 << 42) - 1, UInt64(Int64.max) >> 21]
    return chunks
  }()

  @Test("random sets and removals agree with a dictionary, lookups, counts and ordered walks alike")
  func agreesWithDictionary() {
    var generator = SplitMix64(seed: 16)
    let map = ChunkEntryMap()
    var reference: [UInt64: UInt64] = [:]
    for step in 0..<4_000 {
      let base = Self.interesting[Int(generator.next() % UInt64(Self.interesting.count))]
      let chunk = base &+ generator.next() % 3
      let entry = generator.next() % 4 == 0 ? 0 : generator.next() | 1
      map.set(chunk, entry)
      reference[chunk] = entry == 0 ? nil : entry
      #expect(map[chunk] == entry, "step \(step)")
      #expect(map.count == reference.count, "step \(step)")
      if step % 100 == 0 {
        let lower = Self.interesting[Int(generator.next() % UInt64(Self.interesting.count))]
        let upper = max(lower, Self.interesting[Int(generator.next() % UInt64(Self.interesting.count))])
        var walked: [(UInt64, UInt64)] = []
        map.forEach(in: lower...upper) { walked.append(($0, $1)) }
        let expected = reference.filter { (lower...upper).contains($0.key) }.sorted { $0.key < $1.key }
        #expect(walked.map(\.0) == expected.map(\.key), "step \(step): walk \(lower)...\(upper)")
        #expect(walked.map(\.1) == expected.map(\.value), "step \(step)")
      }
    }
    for chunk in Self.interesting { #expect(map[chunk &+ 5] == reference[chunk &+ 5] ?? 0) }
  }

  @Test("a chunk never set reads as empty and allocates no page; removing everything frees the pages")
  func emptyAndRelease() {
    let map = ChunkEntryMap()
    map.set(1 << 40, 0)
    #expect(map.count == 0)
    var visited = 0
    map.forEach(in: 0...(UInt64.max >> 21)) { _, _ in visited += 1 }
    #expect(visited == 0)
    map.set(5, 9)
    map.set(1 << 41, 10)
    #expect(map.count == 2)
    map.set(5, 0)
    map.set(1 << 41, 0)
    #expect(map.count == 0)
    map.releasePages()
    #expect(map[5] == 0 && map[1 << 41] == 0)
  }

  @Test("data written past 1 TiB and across page edges reads back, counts and truncates as written")
  func farOffsetsOnTheDevice() throws {
    let device = MetadataOnlyDevice(name: "far")
    let zeros = [UInt8](repeating: 0, count: 4 << 20)
    let pageBytes = UInt64(ChunkEntryMap.pageEntries) << 21
    let far = ChunkEntryMap.directPages * pageBytes + 3 * 512
    let spans: [Range<UInt64>] = [(pageBytes - 4096)..<(pageBytes + 8192), far..<(far + (3 << 20))]
    for span in spans {
      try zeros.withUnsafeBytes {
        try device.write(
          UnsafeRawBufferPointer(rebasing: $0[..<Int(span.count)]), at: span.lowerBound, kind: .data)
      }
    }
    // Rewriting data that is already there changes nothing.
    try zeros.withUnsafeBytes {
      try device.write(UnsafeRawBufferPointer(rebasing: $0[..<4096]), at: far + 8192, kind: .data)
    }
    #expect(device.writtenDataRanges() == spans)
    #expect(device.writtenDataBytes == spans.map(\.count).reduce(0, +))
    #expect(device.length == spans[1].upperBound)
    try device.truncate(to: pageBytes)
    #expect(device.writtenDataRanges() == [(pageBytes - 4096)..<pageBytes])
    #expect(device.backing.footprint.chunks == 1)
  }
}

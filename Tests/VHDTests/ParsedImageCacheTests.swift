// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import VHD

/// An open of an unchanged in-memory file reuses what the last open parsed (`ParsedImageCache`).
/// These tests hold it to "exactly what a fresh parse gives": after random writes, snapshots,
/// damage and truncation, every file opens through the storage (cached) as it opens through a
/// wrapping device that has no cache (read and checked in full), image for image and error for
/// error.
@Suite struct ParsedImageCacheTests {
  /// What an open produced: every field the engine keeps from the file, or the error.
  func outcome(_ open: () throws -> VHDImage) -> String {
    do {
      let i = try open()
      return "\(i.footer) \(String(describing: i.header)) \(i.blockTable.entries) \(i.blockTable.padding) "
        + "\(i.blockTable.allocatedCount) \(i.blockTable.endOfDataSector) \(String(describing: i.batmap.header)) "
        + "\(i.batmap.bits) \(i.locatorPaths) \(i.metadataEndSector) \(i.footerDirty) \(i.format)"
    } catch let e as VHDError {
      return "error \(e.code) \(e.field ?? "-")"
    } catch {
      return "error \(error)"
    }
  }

  /// The open without the cache: the same device behind a wrapper that forwards I/O only.
  func uncached(_ s: MemoryStorage, _ path: String, writable: Bool = false) -> String {
    outcome {
      let device = FaultInjectingDevice(try s.open(path, writable: writable))
      return try VHDImage.open(device: device, path: path, options: .init(footerPolicy: .everyAllocation))
    }
  }

  /// An open through an `ObservedDevice`: its outcome and the I/O it reported. Over the file's own
  /// device it may start from the kept parse; over the forwarding wrapper it always parses.
  func observedOpen(_ s: MemoryStorage, _ path: String, cached: Bool) -> (String, [PhysicalIO]) {
    let recorder = IORecorder()
    let result = outcome {
      let file = try s.open(path, writable: false)
      let device = ObservedDevice(
        cached ? file : FaultInjectingDevice(file), observer: recorder, level: 2)
      return try VHDImage.open(device: device, path: path)
    }
    return (result, recorder.ios)
  }

  func cachedParse(_ s: MemoryStorage, _ path: String) throws -> ParsedImage? {
    switch try s.open(path, writable: false) {
    case let d as MetadataOnlyDevice: d.cachedParse
    case let d as InMemoryDevice: d.cachedParse
    default: nil
    }
  }

  @Test(arguments: [MemoryStorage.Flavour.inMemory, .metadataOnly])
  func reopenUsesTheParseUntilTheFileChanges(flavour: MemoryStorage.Flavour) throws {
    let s = MemoryStorage(flavour: flavour)
    _ = try VHDImage.createDynamic("/sr/a.vhd", size: 16 << 20, storage: s, stamp: testStamp(1))
    #expect(try cachedParse(s, "/sr/a.vhd") == nil)
    let first = outcome { try VHDImage.open("/sr/a.vhd", storage: s) }
    #expect(try cachedParse(s, "/sr/a.vhd")?.blockTable.allocatedCount == 0)
    #expect(outcome { try VHDImage.open("/sr/a.vhd", storage: s) } == first)
    let chain = try VHDChain.open("/sr/a.vhd", storage: s, writable: true)
    try chain.write(sector: 4096 * 3, bytes: [UInt8](repeating: 7, count: 512))
    // The write allocated block 3 and changed the file: the kept parse no longer applies.
    #expect(try cachedParse(s, "/sr/a.vhd") == nil)
    let after = outcome { try VHDImage.open("/sr/a.vhd", storage: s) }
    #expect(after != first)
    #expect(after == uncached(s, "/sr/a.vhd"))
    #expect(try VHDImage.open("/sr/a.vhd", storage: s).allocatedBlockCount == 1)
    try chain.close()
  }

  /// An observed open of an unchanged file starts from the kept parse and reports the reads that
  /// parse made, in order, as a fresh parse through the same wrapper reports them.
  @Test(arguments: [MemoryStorage.Flavour.inMemory, .metadataOnly])
  func observedOpenReportsTheKeptParsesReads(flavour: MemoryStorage.Flavour) throws {
    let s = MemoryStorage(flavour: flavour)
    _ = try VHDImage.createDynamic("/sr/base.vhd", size: 24 << 20, storage: s, stamp: testStamp(1))
    _ = try VHDSnapshot.create(
      childPath: "/sr/leaf.vhd", parentPath: "/sr/base.vhd", storage: s, stamp: testStamp(2))
    _ = try VHDImage.open("/sr/leaf.vhd", storage: s)
    #expect(try cachedParse(s, "/sr/leaf.vhd") != nil)
    let fresh = observedOpen(s, "/sr/leaf.vhd", cached: false)
    let kept = observedOpen(s, "/sr/leaf.vhd", cached: true)
    #expect(kept.0 == fresh.0)
    #expect(kept.1 == fresh.1)
    // Footer, header, BAT, BATmap header and map, three parent locators.
    #expect(fresh.1.count == 8)
    #expect(fresh.1.allSatisfy { $0.level == 2 && $0.direction == .read && $0.kind == .footer })
  }

  /// Random steps on both storage flavours; after each, every file opens read-only, and read-write
  /// where that open writes nothing (a BATmap repair does), the same through the cache (twice: once
  /// to fill it) as without it.
  @Test(arguments: [1, 2, 3] as [UInt64])
  func cachedOpensMatchFreshParsesOverRandomSteps(seed: UInt64) throws {
    for flavour in [MemoryStorage.Flavour.inMemory, .metadataOnly] {
      var rng = TestRNG(seed)
      let s = MemoryStorage(flavour: flavour)
      var paths = ["/sr/0.vhd"]
      _ = try VHDImage.createDynamic(paths[0], size: 12 << 20, storage: s, stamp: testStamp(1))
      for step in 0..<120 {
        let path = paths[rng.below(paths.count)]
        switch rng.below(10) {
        case 0...4:
          // A write through the leaf; damaged or non-leaf files may refuse it.
          let leaf = paths.last!
          let count = 1 + rng.below(5000)
          let sector = rng.below(12 << 11 - count)
          if let c = try? VHDChain.open(leaf, storage: s, writable: true) {
            try? c.write(
              sector: UInt64(sector), bytes: [UInt8](repeating: UInt8(step % 251 + 1), count: 512 * count))
            try? c.close()
          }
        case 5, 6:
          let child = "/sr/\(paths.count).vhd"
          if (try? VHDSnapshot.create(
            childPath: child, parentPath: paths.last!, storage: s, options: .init(skipEmptyParents: false),
            stamp: testStamp(UInt8(paths.count + 1)))) != nil
          {
            paths.append(child)
          }
        case 7, 8:
          // Damage: a few bytes of footer copy, header, BAT, BATmap or locator areas, or the end footer.
          let length = try s.open(path, writable: false).length
          let at = rng.below(3) == 0 ? Int(length) - 1 - rng.below(512) : rng.below(8192)
          try patch(s, path, at: UInt64(max(0, at)), [UInt8(truncatingIfNeeded: rng.next())])
        default:
          let d = try s.open(path, writable: true)
          let cut = UInt64(rng.below(2) == 0 ? 512 : 1 + rng.below(4096))
          try d.truncate(to: d.length - min(d.length, cut))
        }
        for p in paths {
          let fresh = uncached(s, p)
          #expect(outcome { try VHDImage.open(p, storage: s) } == fresh, "step \(step) \(p): first open")
          #expect(outcome { try VHDImage.open(p, storage: s) } == fresh, "step \(step) \(p): cached open")
          let observedFresh = observedOpen(s, p, cached: false)
          #expect(observedFresh.0 == fresh, "step \(step) \(p): observed open")
          #expect(observedOpen(s, p, cached: true) == observedFresh, "step \(step) \(p): observed, cached")
          let generation = s.contentGeneration(p)
          let freshWritable = uncached(s, p, writable: true)
          guard s.contentGeneration(p) == generation else { continue }
          for n in 1...2 {
            let cached = outcome {
              try VHDImage.open(p, storage: s, writable: true, options: .init(footerPolicy: .everyAllocation))
            }
            #expect(cached == freshWritable, "step \(step) \(p): read-write open \(n)")
          }
        }
      }
    }
  }
}

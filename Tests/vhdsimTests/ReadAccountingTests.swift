// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Testing
import VHD

@testable import vhdsim

/// `vhd read --accounting --json` on a chain of real files: base (block 0 written in full, so the
/// BATmap marks it full), c1 (sectors 0..<8 written), c2 (empty leaf). Every figure below follows
/// from that layout and the engine's rules (docs/vhd-format.md), not from a previous run.
@Suite(.serialized) struct ReadAccountingTests {
  let dir: String
  let leaf: String

  init() throws {
    dir = NSTemporaryDirectory() + "vhdsim-acct-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let (base, c1) = ("\(dir)/base.vhd", "\(dir)/c1.vhd")
    leaf = "\(dir)/c2.vhd"
    let s = FileStorage()
    _ = try VHDImage.createDynamic(base, size: 8 << 20, storage: s)
    try VHDChain.open(base, storage: s, writable: true).write(
      sector: 0, bytes: [UInt8](repeating: 1, count: 2 << 20))
    try VHDSnapshot.create(childPath: c1, parentPath: base, storage: s)
    try VHDChain.open(c1, storage: s, writable: true).write(
      sector: 0, bytes: [UInt8](repeating: 2, count: 4096))
    try VHDSnapshot.create(childPath: leaf, parentPath: c1, storage: s)
  }

  struct Level: Decodable, Equatable {
    let level, bat_probes, bitmap_cache_hits, bitmap_reads, batmap_shortcuts, sectors_served: Int
    let physical_reads: Int
    let physical_bytes: UInt64
  }
  struct Report: Decodable {
    let levels: [Level]
    let zero_filled_sectors: Int
  }

  func accounting(_ extra: [String]) throws -> Report {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try #require(CommandLineTests.binary, "no built vhdsim"))
    p.arguments = ["vhd", "read", "-n", leaf, "--accounting", "--json"] + extra
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    return try JSONDecoder().decode(Report.self, from: data)
  }

  func level(
    _ l: Int, _ probes: Int, _ hits: Int, _ reads: Int, _ shortcuts: Int, _ sectors: Int, _ io: Int,
    _ bytes: UInt64
  )
    -> Level
  {
    Level(
      level: l, bat_probes: probes, bitmap_cache_hits: hits, bitmap_reads: reads, batmap_shortcuts: shortcuts,
      sectors_served: sectors, physical_reads: io, physical_bytes: bytes)
  }

  /// 16 sectors: the leaf has nothing (one BAT probe); c1 reads its bitmap (512 bytes) and serves
  /// 8 sectors (one 4 KiB data read); the base serves the other 8 by the BATmap shortcut, or with
  /// --no-batmap after reading its bitmap too.
  @Test func oneSegmentPerLevel() throws {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let on = try accounting(["-r", "0", "-c", "16"])
    #expect(
      on.levels == [
        level(0, 1, 0, 0, 0, 0, 0, 0), level(1, 1, 0, 1, 0, 8, 2, 4608), level(2, 1, 0, 0, 1, 8, 1, 4096),
      ])
    #expect(on.zero_filled_sectors == 0)
    let off = try accounting(["-r", "0", "-c", "16", "--no-batmap"])
    #expect(off.levels[2] == level(2, 1, 0, 1, 0, 8, 2, 4608))
  }

  /// The whole first block (4096 sectors) is read in two 2048-sector pieces: each level is probed
  /// twice; c1's second bitmap consult is a cache hit, or a second read with --bitmap-cache 0.
  /// Sectors 4096..<4104 of block 1 are held by no level: zero-filled.
  @Test func cacheAcrossPiecesAndZeroFill() throws {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let cached = try accounting(["-r", "0", "-c", "4104"])
    #expect(cached.levels.map(\.bat_probes) == [3, 3, 3])
    #expect(cached.levels[1].bitmap_cache_hits == 1 && cached.levels[1].bitmap_reads == 1)
    #expect(cached.levels[2].batmap_shortcuts == 2 && cached.levels[2].sectors_served == 4088)
    #expect(cached.zero_filled_sectors == 8)
    let uncached = try accounting(["-r", "0", "-c", "4104", "--bitmap-cache", "0"])
    #expect(uncached.levels[1].bitmap_cache_hits == 0 && uncached.levels[1].bitmap_reads == 2)
  }
}

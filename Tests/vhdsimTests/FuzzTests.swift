// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Testing
import VHD
import Workloads

/// Seeded fuzzing (docs/vhd-format.md#crash-safety has the write side; this is the input side):
/// every `vhd` subcommand of the built binary on files the engine made and then damaged (bytes of
/// the footer, its copy, the header, BAT, BATmap, a bitmap or a locator; some with the checksum
/// fixed up so the damage gets past it; some truncated), and the scenario YAML and trace parsers
/// in-process on mutated text. Nothing may trap (a signal exit), hang (timeout), change an input
/// file when the command fails, or leave files past a size limit. `VHDSIM_FUZZ_CASES=N` sets the
/// number of CLI cases (default 300, about 40 s of a debug build; the parsers get ten times as
/// many, about 17 s); the long mode is e.g. `VHDSIM_FUZZ_CASES=5000`.
@Suite(.serialized) struct FuzzTests {
  static let cliCases = ProcessInfo.processInfo.environment["VHDSIM_FUZZ_CASES"].flatMap { Int($0) } ?? 300
  /// No case may leave more than this in its folder (the inputs are 4 MiB disks).
  static let sizeLimit: UInt64 = 64 << 20

  @Test func vhdSubcommandsOnDamagedFiles() throws {
    guard let binary = CLIBinary.path else {
      print("FuzzTests: skipped (no built vhdsim binary beside the test bundle)")
      return
    }
    let root = NSTemporaryDirectory() + "vhdsim-fuzz-" + UUID().uuidString
    let seeds = root + "/seeds"
    try FileManager.default.createDirectory(atPath: seeds, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    try makeSeeds(seeds)
    var rng = SplitMix64(seed: 0xF022)
    var traps = 0
    var hangs = 0
    var changedOnFailure = 0
    var oversize = 0
    var failures = 0
    for n in 0..<Self.cliCases {
      let dir = root + "/case"
      try? FileManager.default.removeItem(atPath: dir)
      try FileManager.default.copyItem(atPath: seeds, toPath: dir)
      let target = ["base.vhd", "child.vhd", "fixed.vhd"].randomElement(using: &rng)!
      try mutate(dir + "/" + target, using: &rng)
      let args = arguments(dir: dir, target: target, using: &rng)
      let inputs = try hashes(dir)
      let r = CLIBinary.run(binary, args, timeout: 20)
      if r.timedOut {
        hangs += 1
        print("fuzz case \(n) hang: \(args)")
      } else if !r.exited {
        traps += 1
        print("fuzz case \(n) signal \(r.status): \(args)\n\(r.stderr)")
      } else if r.status != 0 {
        failures += 1
        if try hashes(dir).filter({ inputs.keys.contains($0.key) }) != inputs {
          changedOnFailure += 1
          print("fuzz case \(n) changed an input on failure: \(args)\n\(r.stderr)")
        }
      }
      if try folderBytes(dir) > Self.sizeLimit {
        oversize += 1
        print("fuzz case \(n) left more than \(Self.sizeLimit) bytes: \(args)")
      }
    }
    print(
      "FuzzTests CLI: cases \(Self.cliCases), traps \(traps), hangs \(hangs), failed cleanly \(failures), "
        + "inputs changed on failure \(changedOnFailure), over the size limit \(oversize)")
    #expect(traps == 0)
    #expect(hangs == 0)
    #expect(changedOnFailure == 0)
    #expect(oversize == 0)
    // The mutations must reach the refusal paths, not just the happy one.
    #expect(failures > Self.cliCases / 4)
  }

  /// A dynamic disk with data (a full block and a partial one), a child with data, a fixed disk.
  func makeSeeds(_ dir: String) throws {
    let s = FileStorage()
    let stamp = CreationStamp(
      unixTime: 1_700_000_000, uuid: DiskUUID(bytes: [UInt8](repeating: 7, count: 16)))
    let base = try VHDImage.createDynamic(dir + "/base.vhd", size: 4 << 20, storage: s, stamp: stamp)
    try base.close()
    let chain = try VHDChain.open(dir + "/base.vhd", storage: s, writable: true)
    try chain.write(byteOffset: 0, bytes: [UInt8](repeating: 0x5A, count: 2 << 20))
    try chain.write(byteOffset: 3 << 20, bytes: [UInt8](repeating: 0x33, count: 8192))
    try chain.close()
    let childStamp = CreationStamp(
      unixTime: 1_700_000_100, uuid: DiskUUID(bytes: [UInt8](repeating: 8, count: 16)))
    _ = try VHDSnapshot.create(
      childPath: dir + "/child.vhd", parentPath: dir + "/base.vhd", storage: s, stamp: childStamp)
    let child = try VHDChain.open(dir + "/child.vhd", storage: s, writable: true)
    try child.write(byteOffset: 1 << 20, bytes: [UInt8](repeating: 0x77, count: 4096))
    try child.close()
    let fixedStamp = CreationStamp(
      unixTime: 1_700_000_200, uuid: DiskUUID(bytes: [UInt8](repeating: 9, count: 16)))
    _ = try VHDImage.createFixed(dir + "/fixed.vhd", size: 2 << 20, storage: s, stamp: fixedStamp)
  }

  /// Damages 1–4 places of one structure; sometimes fixes the checksum afterwards, sometimes
  /// truncates the file.
  func mutate(_ path: String, using rng: inout SplitMix64) throws {
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let n = bytes.count
    // Regions of a blktap file (docs/vhd-format.md#blktap-layout): footer copy 0..<512, header
    // 512..<1536, BAT 1536..<2048, BATmap header 2048..<2560, map, locators, then blocks (a
    // bitmap at each block start), end footer.
    let regions: [Range<Int>] = [
      (n - 512)..<n, 0..<512, 512..<1536, 1536..<2048, 2048..<3072, 3072..<min(n, 6144),
      min(n - 512, 6144)..<min(n - 512, 12288),
    ]
    let region = regions.randomElement(using: &rng)!
    guard !region.isEmpty else { return }
    for _ in 0..<Int.random(in: 1...4, using: &rng) {
      let at = Int.random(in: region, using: &rng)
      switch Int.random(in: 0..<5, using: &rng) {
      case 0: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
      case 1: bytes[at] = UInt8.random(in: 0...255, using: &rng)
      case 2: bytes[at] = [0x00, 0xFF, 0x7F, 0x80].randomElement(using: &rng)!
      case 3:
        // An interesting 32-bit value at a 4-byte boundary (sizes, offsets, BAT entries).
        let a = at & ~3
        let v: UInt32 = [0, 1, 0x7FFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFE, 0x8000_0000, 7, 0x200, 0x10_0000]
          .randomElement(using: &rng)!
        for i in 0..<4 where a + i < bytes.count {
          bytes[a + i] = UInt8(truncatingIfNeeded: v >> (24 - 8 * i))
        }
      default:
        // 64-bit big value (sizes and offsets are 64-bit in footer and header).
        let a = at & ~7
        for i in 0..<8 where a + i < bytes.count {
          bytes[a + i] = i < 2 ? 0 : UInt8.random(in: 0...255, using: &rng)
        }
      }
    }
    if Bool.random(using: &rng) { fixChecksums(&bytes) }
    if Int.random(in: 0..<10, using: &rng) == 0 {
      bytes.removeLast(Int.random(in: 1...min(4096, bytes.count), using: &rng))
    }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
  }

  /// Recomputes the footer checksums (both copies) and the header's, so damage reaches the fields
  /// behind them.
  func fixChecksums(_ bytes: inout [UInt8]) {
    func fix(_ start: Int, length: Int, checksumAt: Int) {
      guard start >= 0, start + length <= bytes.count else { return }
      for i in 0..<4 { bytes[start + checksumAt + i] = 0 }
      var sum: UInt32 = 0
      for i in start..<(start + length) { sum &+= UInt32(bytes[i]) }
      sum = ~sum
      for i in 0..<4 { bytes[start + checksumAt + i] = UInt8(truncatingIfNeeded: sum >> (24 - 8 * i)) }
    }
    fix(bytes.count - 512, length: 512, checksumAt: 64)
    fix(0, length: 512, checksumAt: 64)
    fix(512, length: 1024, checksumAt: 36)
  }

  /// One subcommand with arguments on the damaged `target`.
  func arguments(dir: String, target: String, using rng: inout SplitMix64) -> [String] {
    let t = dir + "/" + target
    let choices: [[String]] = [
      ["vhd", "query", "-n", t, "-v", "-s", "-p", "-f", "-d", "-a"],
      ["vhd", "read", "-n", t, "-p"],
      ["vhd", "read", "-n", t, "-r", "\(Int.random(in: 0..<8192, using: &rng))", "-c", "64"],
      ["vhd", "check", "-n", t],
      ["vhd", "check", "-n", t, "-p"],
      ["vhd", "scan", "-p", "-m", dir + "/*.vhd"],
      ["vhd", "set", "-n", t, "-f", "hidden", "-v", "1"],
      ["vhd", "set", "-n", t, "-f", "marker", "-v", "1"],
      ["vhd", "coalesce", "-n", t],
      ["vhd", "modify", "-n", t, "-p", dir + "/base.vhd"],
      ["vhd", "export", "-n", t, "-o", dir + "/out.raw", "--jobs", "1"],
      [
        "vhd", "write", "-n", t, "--offset", "\(Int.random(in: 0..<(4 << 20), using: &rng) / 512 * 512)",
        "--pattern", "9", "-l", "4096",
      ],
      ["vhd", "snapshot", "-n", dir + "/new.vhd", "-p", t],
    ]
    return choices.randomElement(using: &rng)!
  }

  /// The bytes of every file in `dir` (compared whole: memcmp is faster than hashing in a debug build).
  func hashes(_ dir: String) throws -> [String: Data] {
    var out: [String: Data] = [:]
    for f in try FileManager.default.contentsOfDirectory(atPath: dir) {
      out[f] = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + f))
    }
    return out
  }

  func folderBytes(_ dir: String) throws -> UInt64 {
    try FileManager.default.contentsOfDirectory(atPath: dir).reduce(0) {
      $0 + ((try FileManager.default.attributesOfItem(atPath: dir + "/" + $1)[.size] as? UInt64) ?? 0)
    }
  }

  // MARK: parsers, in-process

  static let traceSeeds: [(TraceFormat, String)] = [
    (
      .blkparse,
      """
        8,0    3        1     0.000000000   697  Q   W 223490 + 8 [kjournald]
        8,0    1        5     0.100000000   120  Q  RM 1024 + 16 [ext4]
        8,0    1        6     0.200000000   120  Q FWS [jbd2/sda1-8]
        8,0    1        8     0.400000000   120  Q   D 9000 + 2048 [fstrim]
      CPU0 (8,0):
       Reads Queued:           1,        4KiB
      """
    ),
    (
      .fio,
      """
      fio version 2 iolog
      /dev/sdb add
      /dev/sdb open
      /dev/sdb write 0 4096
      /dev/sdb wait 1000 0
      /dev/sdb read 8192 512
      /dev/sdb sync 0 0
      /dev/sdb close
      """
    ),
    (
      .fio,
      """
      fio version 3 iolog
      0 /dev/sdb add
      5 /dev/sdb open
      10 /dev/sdb write 0 4096
      20 /dev/sdb trim 4096 4096
      """
    ),
    (
      .msr,
      """
      Timestamp,Hostname,DiskNumber,Type,Offset,Size,ResponseTime
      128166372003061629,hm,1,Read,3154685952,8192,1475
      128166372016382155,hm,1,Write,3154685952,4096,1251
      """
    ),
  ]

  /// Mutated traces of every format and mutated shipped scenarios: a typed error or a result,
  /// never a trap (which would take the test process down) or a hang.
  @Test func parsersOnMutatedText() throws {
    let dir = NSTemporaryDirectory() + "vhdsim-fuzz-parsers-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var rng = SplitMix64(seed: 0xF0_22AA)
    let cases = Self.cliCases * 10
    var traceErrors = 0
    var scenarioErrors = 0
    let scenarios = try Self.shippedScenarios()
    let started = Date()
    for n in 0..<cases {
      if n % 2 == 0 {
        let (format, seed) = Self.traceSeeds.randomElement(using: &rng)!
        let text = mutateText(seed, using: &rng)
        let path = dir + "/t\(n % 8).txt"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        do { _ = try TraceReplay.readAll(path: path, format: format) } catch { traceErrors += 1 }
      } else if !scenarios.isEmpty {
        let text = mutateText(scenarios.randomElement(using: &rng)!, using: &rng)
        do { _ = try Scenario.parse(yaml: text, file: "fuzz.yaml") } catch { scenarioErrors += 1 }
      }
    }
    let seconds = Date().timeIntervalSince(started)
    print(
      "FuzzTests parsers: cases \(cases), traps 0, trace errors \(traceErrors), scenario errors \(scenarioErrors), "
        + "\(Int(seconds)) s")
    #expect(traceErrors > 0 && (scenarios.isEmpty || scenarioErrors > 0))
  }

  /// The shipped scenario files, found from this source file's place in the repository.
  static func shippedScenarios() throws -> [String] {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Scenarios")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: repo.path)) ?? []
    return try names.filter { $0.hasSuffix(".yaml") }.sorted().map {
      try String(contentsOf: repo.appendingPathComponent($0), encoding: .utf8)
    }
  }

  /// Byte-level edits of a text: flips, deletions, duplications, and tokens that stress number
  /// and structure parsing.
  func mutateText(_ text: String, using rng: inout SplitMix64) -> String {
    var b = [UInt8](text.utf8)
    let tokens = [
      "-1", "18446744073709551616", "1e309", "nan", "inf", "0x", ":", "- ", "[", "{", "\"", "'", "\t", "\n",
      "&a", "*a", "!!int", "99999999999999999999", "-9223372036854775808", "0.0000000001", " + ", ",",
    ]
    for _ in 0..<Int.random(in: 1...6, using: &rng) {
      guard !b.isEmpty else { break }
      let at = Int.random(in: 0..<b.count, using: &rng)
      switch Int.random(in: 0..<5, using: &rng) {
      case 0: b[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
      case 1: b.remove(at: at)
      case 2: b.insert(contentsOf: tokens.randomElement(using: &rng)!.utf8, at: at)
      case 3:
        let end = min(b.count, at + Int.random(in: 1...40, using: &rng))
        b.insert(contentsOf: b[at..<end], at: at)
      default:
        let end = min(b.count, at + Int.random(in: 1...20, using: &rng))
        b.removeSubrange(at..<end)
      }
    }
    return String(decoding: b, as: UTF8.self)
  }
}

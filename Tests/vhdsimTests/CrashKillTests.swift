// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Testing
import VHD

#if canImport(Glibc)
  import Glibc
#endif

/// Kills the real `vhdsim` binary with SIGKILL during `vhd write`, `coalesce`, `snapshot` and
/// `export` on real files — after every k-th file-system change (`VHDSIM_CRASH_AFTER_WRITES`) and at
/// random times — and checks what each kill left (docs/vhd-format.md#crash-safety): every file
/// passes `vhd check`, the chain reads what it read before (for a write: old or new data in the
/// written range), and a rerun of the same command completes and leaves valid files.
@Suite(.serialized) struct CrashKillTests {
  /// One command under test: how to build its files, what it runs, and which leaf's view it keeps.
  struct Case {
    var name: String
    /// Commands (vhdsim arguments, with DIR for the folder) that build the starting files.
    var setup: [[String]]
    var command: [String]
    /// The chain whose view must survive.
    var leaf: String
    /// Byte range the command writes into `leaf`'s view, with the byte it writes (write only).
    var written: (range: Range<Int>, byte: UInt8)?
    /// The file the command creates, when it creates one (snapshot, export).
    var creates: String?
  }

  /// Counts for one case; all four equal when the engine keeps its promise.
  struct Tally: CustomStringConvertible {
    var kills = 0
    /// Of `kills`, those at a random time rather than after the k-th write.
    var randomKills = 0
    var filesValid = 0
    var viewsIntact = 0
    var rerunsCompleted = 0
    var description: String {
      "kills \(kills) (\(randomKills) at random times), files valid \(filesValid), chain views intact \(viewsIntact), reruns completed \(rerunsCompleted)"
    }
  }

  static let cases: [Case] = [
    Case(
      name: "write",
      setup: [
        ["vhd", "create", "-n", "DIR/base.vhd", "-s", "8"],
        ["vhd", "write", "-n", "DIR/base.vhd", "--offset", "4096", "--pattern", "17", "-l", "8192"],
      ],
      // Part of block 0 (allocated), all of block 1 (its bitmap fills: BATmap), part of block 2.
      command: [
        "vhd", "write", "-n", "DIR/base.vhd", "--offset", "2093056", "--pattern", "9", "-l", "2105344",
      ],
      leaf: "base.vhd", written: (2_093_056..<4_198_400, 9), creates: nil),
    Case(
      name: "coalesce",
      setup: [
        ["vhd", "create", "-n", "DIR/base.vhd", "-s", "8"],
        ["vhd", "write", "-n", "DIR/base.vhd", "--offset", "0", "--pattern", "1", "-l", "3000000"],
        ["vhd", "snapshot", "-n", "DIR/s1.vhd", "-p", "DIR/base.vhd"],
        ["vhd", "write", "-n", "DIR/s1.vhd", "--offset", "1000000", "--pattern", "2", "-l", "5000000"],
        ["vhd", "snapshot", "-n", "DIR/s2.vhd", "-p", "DIR/s1.vhd"],
        ["vhd", "write", "-n", "DIR/s2.vhd", "--offset", "7000000", "--pattern", "3", "-l", "4096"],
      ],
      command: ["vhd", "coalesce", "-n", "DIR/s1.vhd"], leaf: "s2.vhd", written: nil, creates: nil),
    Case(
      name: "snapshot",
      setup: [
        ["vhd", "create", "-n", "DIR/base.vhd", "-s", "8"],
        ["vhd", "write", "-n", "DIR/base.vhd", "--offset", "512", "--pattern", "5", "-l", "700000"],
      ],
      command: ["vhd", "snapshot", "-n", "DIR/s1.vhd", "-p", "DIR/base.vhd"], leaf: "base.vhd", written: nil,
      creates: "s1.vhd"),
    Case(
      name: "export",
      setup: [
        ["vhd", "create", "-n", "DIR/base.vhd", "-s", "8"],
        ["vhd", "write", "-n", "DIR/base.vhd", "--offset", "0", "--pattern", "6", "-l", "3000000"],
        ["vhd", "snapshot", "-n", "DIR/s1.vhd", "-p", "DIR/base.vhd"],
        ["vhd", "write", "-n", "DIR/s1.vhd", "--offset", "5000000", "--pattern", "8", "-l", "100000"],
      ],
      command: ["vhd", "export", "-n", "DIR/s1.vhd", "-o", "DIR/flat.raw", "--jobs", "1"], leaf: "s1.vhd",
      written: nil, creates: "flat.raw"),
  ]

  @Test(arguments: cases.indices) func killAtEveryWriteAndAtRandomTimes(index: Int) throws {
    guard let binary = CLIBinary.path else {
      print("CrashKillTests: skipped (no built vhdsim binary beside the test bundle)")
      return
    }
    let root = NSTemporaryDirectory() + "vhdsim-crash-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: root) }
    let tally = try sweep(Self.cases[index], binary: binary, root: root, randomKills: 6)
    print("CrashKillTests \(Self.cases[index].name): \(tally)")
    #expect(tally.kills > 0)
    #expect(tally.filesValid == tally.kills)
    #expect(tally.viewsIntact == tally.kills)
    #expect(tally.rerunsCompleted == tally.kills)
  }

  /// The write case on a nearly full tmpfs the test mounts (root, as in CI): each kill, and each
  /// run that fails for lack of space, leaves valid files and an intact view, and a rerun either
  /// completes or fails cleanly leaving them so. Skipped with a message where it cannot mount.
  @Test func killsOnAFullFilesystem() throws {
    guard let binary = CLIBinary.path else {
      print("CrashKillTests full filesystem: skipped (no built vhdsim binary)")
      return
    }
    let root = NSTemporaryDirectory() + "vhdsim-crash-full-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    guard CLIBinary.status("/bin/mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", root]) == 0 else {
      print("CrashKillTests full filesystem: skipped (cannot mount a tmpfs here)")
      return
    }
    defer { _ = CLIBinary.status("/bin/umount", [root]) }
    // 6 MiB: the template (about 1.1 MiB) and each run's copy fit, and a filler leaves each run
    // about 1 MiB, less than the 2 MiB block plus metadata the write would need.
    let tally = try sweep(
      Self.cases[0], binary: binary, root: root, randomKills: 2, fillLeaving: 1 << 20)
    print("CrashKillTests full filesystem write: \(tally)")
    #expect(tally.kills > 0)
    #expect(tally.filesValid == tally.kills)
    #expect(tally.viewsIntact == tally.kills)
    #expect(tally.rerunsCompleted == tally.kills)
  }

  /// Kills `c.command` after write 1, 2, … until a run finishes, then at random times, checking
  /// each time. With `fillLeaving`, a filler file leaves only that many bytes free for each run,
  /// and a clean failure (exit 74, files valid, view intact) counts as a completed rerun.
  func sweep(_ c: Case, binary: String, root: String, randomKills: Int, fillLeaving: Int? = nil) throws
    -> Tally
  {
    let template = root + "/template"
    let work = root + "/work"
    try FileManager.default.createDirectory(atPath: template, withIntermediateDirectories: true)
    for args in c.setup {
      let r = CLIBinary.run(binary, args.map { $0.replacingOccurrences(of: "DIR", with: template) })
      #expect(r.exited && r.status == 0, "setup \(args) failed")
    }
    let before = try view(template + "/" + c.leaf)
    var after = before
    if let w = c.written { for i in w.range { after[i] = w.byte } }
    var tally = Tally()
    var rng = SplitMix64(seed: 0x15C0_FFEE)
    var k = 1
    var randomLeft = randomKills
    var clean: Double = 0.05
    while true {
      try? FileManager.default.removeItem(atPath: work)
      try FileManager.default.copyItem(atPath: template, toPath: work)
      if let fillLeaving { try fill(work, leaving: fillLeaving) }
      let args = c.command.map { $0.replacingOccurrences(of: "DIR", with: work) }
      let result: CLIBinary.Result
      if k > 0 {
        result = CLIBinary.run(binary, args, environment: ["VHDSIM_CRASH_AFTER_WRITES": "\(k)"])
        if result.exited {
          // k passed the command's last write: it ran whole. Switch to random-time kills.
          #expect(result.status == 0 || fillLeaving != nil, "\(c.name) uncrashed run: \(result.stderr)")
          clean = max(clean, result.seconds)
          k = 0
          continue
        }
        k += 1
      } else {
        guard randomLeft > 0 else { break }
        randomLeft -= 1
        let delay = Double.random(in: 0..<clean, using: &rng)
        let r = CLIBinary.run(binary, args, killAfter: delay)
        if r.exited { continue }  // finished before the kill: not a kill
        result = r
        tally.randomKills += 1
      }
      #expect(result.signal == SIGKILL, "\(c.name): \(result)")
      tally.kills += 1
      if validFiles(work, creates: c.creates, c.name) { tally.filesValid += 1 }
      // A chain that no longer opens is not intact (the check above names why).
      if let now = try? view(work + "/" + c.leaf), intact(now, before: before, after: after, c.written) {
        tally.viewsIntact += 1
      }
      let rerun = CLIBinary.run(binary, args)
      let rerunView = (try? view(work + "/" + c.leaf)) ?? []
      var ok = validFiles(work, creates: nil, c.name)
      if rerun.exited && rerun.status == 0 {
        ok = ok && rerunView == after
        if let made = c.creates {
          let path = work + "/" + made
          let made = made.hasSuffix(".raw") ? try rawBytes(path) : try view(path)
          ok = ok && made == after
        }
      } else if rerun.exited && (rerun.status == 73 || rerun.status == 74) {
        // A clean refusal (README's exit statuses): the kill came after the command's last change
        // (the file it creates is complete, so a second snapshot is refused as vhd-util refuses it:
        // 73, cannot create), or there is no room (74, I/O error).
        let done = c.creates.map { FileManager.default.fileExists(atPath: work + "/" + $0) } ?? false
        ok = ok && (done || fillLeaving != nil) && intact(rerunView, before: before, after: after, c.written)
      } else {
        ok = false
      }
      if ok { tally.rerunsCompleted += 1 } else { print("\(c.name) rerun: \(rerun)") }
    }
    return tally
  }

  /// Every VHD in `folder` passes `vhd check`; the file a killed command was creating is either
  /// absent or complete and valid.
  func validFiles(_ folder: String, creates: String?, _ name: String) -> Bool {
    let storage = FileStorage()
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    var ok = true
    for f in names where f.hasSuffix(".vhd") {
      let problems = VHDCheck.check(path: folder + "/" + f, storage: storage)
      if !problems.isEmpty {
        print("\(name): \(problems)")
        ok = false
      }
    }
    return ok
  }

  /// The leaf's whole view through its chain.
  func view(_ leaf: String) throws -> [UInt8] {
    let chain = try VHDChain.open(leaf, storage: FileStorage())
    return try chain.read(sector: 0, count: Int(chain.virtualSize / 512))
  }

  func rawBytes(_ path: String) throws -> [UInt8] {
    try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
  }

  /// Equal to `before` outside the written range; inside it, each byte old or new.
  func intact(_ now: [UInt8], before: [UInt8], after: [UInt8], _ written: (range: Range<Int>, byte: UInt8)?)
    -> Bool
  {
    guard now.count == before.count else { return false }
    guard let written else { return now == before }
    for i in now.indices where now[i] != before[i] && !(written.range.contains(i) && now[i] == after[i]) {
      return false
    }
    return true
  }

  /// Fills the file system holding `folder` until `leaving` bytes are free.
  func fill(_ folder: String, leaving: Int) throws {
    var s = statvfs()
    guard statvfs(folder, &s) == 0 else { return }
    let free = Int(s.f_bavail) * Int(s.f_frsize)
    let size = max(0, free - leaving)
    _ = FileManager.default.createFile(
      atPath: folder + "/filler", contents: Data(repeating: 0xAB, count: size))
  }
}

/// What a rerun repairs that the engine itself never leaves but libvhd and tapdisk can: an end
/// footer lost mid-allocation, a BATmap whose map disagrees with its checksum
/// (docs/vhd-format.md#crash-safety). A refused command leaves such a file unchanged.
@Suite(.serialized) struct RerunRepairTests {
  @Test func writerRepairsEndFooterAndBATMapAndARefusalChangesNothing() throws {
    guard let binary = CLIBinary.path else {
      print("RerunRepairTests: skipped (no built vhdsim binary)")
      return
    }
    let dir = NSTemporaryDirectory() + "vhdsim-repair-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/d.vhd"
    for args in [
      ["vhd", "create", "-n", path, "-s", "8"],
      ["vhd", "write", "-n", path, "--offset", "0", "--pattern", "4", "-l", "\(2 << 20)"],
      ["vhd", "write", "-n", path, "--offset", "\(2 << 20)", "--pattern", "5", "-l", "4096"],
    ] {
      #expect(CLIBinary.run(binary, args).status == 0)
    }
    let storage = FileStorage()
    let view = try VHDChain.open(path, storage: storage).read(sector: 0, count: 16384)
    let url = URL(fileURLWithPath: path)
    for damage in ["end footer", "batmap map"] {
      var bytes = try [UInt8](Data(contentsOf: url))
      if damage == "end footer" {
        for i in (bytes.count - 512)..<bytes.count { bytes[i] = 0 }
      } else {
        bytes[2560] ^= 0x80  // block 0's bit in the map after the BATmap header (blktap layout)
      }
      try Data(bytes).write(to: url)
      #expect(!VHDCheck.check(path: path, storage: storage).isEmpty, "\(damage): check should fail")
      // Refused after a read-write open: nothing written.
      let refused = CLIBinary.run(binary, ["vhd", "modify", "-n", path, "-p", path])
      #expect(refused.exited && refused.status != 0)
      #expect(try [UInt8](Data(contentsOf: url)) == bytes, "\(damage): a refusal changed the file")
      // A non-allocating write repairs it.
      let write = CLIBinary.run(
        binary, ["vhd", "write", "-n", path, "--offset", "8192", "--pattern", "4", "-l", "512"])
      #expect(write.exited && write.status == 0, "\(damage): \(write)")
      #expect(VHDCheck.check(path: path, storage: storage).isEmpty, "\(damage): not repaired")
      #expect(try VHDChain.open(path, storage: storage).read(sector: 0, count: 16384) == view)
    }
  }
}

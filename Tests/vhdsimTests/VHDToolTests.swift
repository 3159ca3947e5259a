// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Foundation
import Testing
import VHD

@testable import vhdsim

/// The `vhdsim vhd` commands end to end on real files, through the same parser users hit.
@Suite(.serialized) struct VHDToolTests {
  let dir: String

  init() throws {
    dir = NSTemporaryDirectory() + "vhdsim-cli-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  }

  func run(_ args: [String]) throws {
    var command = try VHDSimCommand.parseAsRoot(args)
    try command.run()
  }

  /// Runs a command that must fail; returns its exit code.
  func failure(_ args: [String]) -> Int32? {
    do {
      try run(args)
      return nil
    } catch {
      return VHDSimCommand.status(of: error)
    }
  }

  /// Numbers from the user are checked before anything is sized from them: reads and writes past the
  /// end, or whose end overflows 64 bits, are a one-line error (exit 1), never a trap, and the file
  /// is untouched.
  @Test func outOfRangeReadsAndWritesAreErrorsNotTraps() throws {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = "\(dir)/b.vhd"
    try run(["vhd", "create", "-n", path, "-s", "8"])
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    #expect(failure(["vhd", "read", "-n", path, "-r", "0", "-c", "99999999999999"]) == 1)
    #expect(failure(["vhd", "read", "-n", path, "-r", "18446744073709551615", "-c", "1"]) == 1)
    #expect(failure(["vhd", "read", "-n", path, "-r", "16383", "-c", "2"]) == 1)
    #expect(
      failure([
        "vhd", "write", "-n", path, "--offset", "18446744073709551000", "--pattern", "1", "-l", "1000",
      ]) == 1
    )
    #expect(
      failure(["vhd", "write", "-n", path, "--offset", "0", "--pattern", "1", "-l", "99999999999"]) == 1)
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    // The last sector is still in range.
    try run(["vhd", "write", "-n", path, "--offset", "8388096", "--pattern", "9", "-l", "512"])
    #expect(
      try VHDChain.open(path, storage: FileStorage()).read(sector: 16383, count: 1)
        == [UInt8](repeating: 9, count: 512))
  }

  /// No silent data loss and no loops: a child holding data past its smaller parent's end is not
  /// coalesced (nothing written), one whose data fits is; a disk cannot be reparented onto its own
  /// descendant.
  @Test func refusesLargerChildCoalesceAndParentLoops() throws {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (base, child) = ("\(dir)/b.vhd", "\(dir)/c.vhd")
    try run(["vhd", "create", "-n", base, "-s", "8"])
    try run(["vhd", "write", "-n", base, "--offset", "0", "--pattern", "1", "-l", "4096"])
    try run(["vhd", "snapshot", "-n", child, "-p", base, "--size-mib", "16"])
    try run(["vhd", "write", "-n", child, "--offset", "12582912", "--pattern", "5", "-l", "4096"])
    let parentBefore = try Data(contentsOf: URL(fileURLWithPath: base))
    #expect(failure(["vhd", "coalesce", "-n", child]) == 1)
    #expect(try Data(contentsOf: URL(fileURLWithPath: base)) == parentBefore)
    #expect(
      try VHDChain.open(child, storage: FileStorage()).read(sector: 24576, count: 1)
        == [UInt8](repeating: 5, count: 512))
    // Data only below the parent's end: coalesced.
    let fits = "\(dir)/f.vhd"
    try run(["vhd", "snapshot", "-n", fits, "-p", base, "--size-mib", "16"])
    try run(["vhd", "write", "-n", fits, "--offset", "4096", "--pattern", "6", "-l", "4096"])
    try run(["vhd", "coalesce", "-n", fits])
    #expect(
      try VHDChain.open(base, storage: FileStorage()).read(sector: 8, count: 1)
        == [UInt8](repeating: 6, count: 512))
    // c2 descends from c1: making it c1's parent would loop.
    let (c1, c2) = ("\(dir)/c1.vhd", "\(dir)/c2.vhd")
    try run(["vhd", "snapshot", "-n", c1, "-p", base])
    try run(["vhd", "write", "-n", c1, "--offset", "0", "--pattern", "2", "-l", "4096"])
    try run(["vhd", "snapshot", "-n", c2, "-p", c1])
    let c1Before = try Data(contentsOf: URL(fileURLWithPath: c1))
    #expect(failure(["vhd", "modify", "-n", c1, "-p", c2]) == 1)
    #expect(try Data(contentsOf: URL(fileURLWithPath: c1)) == c1Before)
  }

  /// scan prints every entry, then exits 1 when any file failed (0 with -c, as vhd-util); a glob that
  /// matches nothing is a missing input (66).
  @Test func scanExitsNonZeroOnErrors() throws {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try run(["vhd", "create", "-n", "\(dir)/a.vhd", "-s", "8"])
    try run(["vhd", "scan", "-m", "\(dir)/*.vhd"])
    #expect(failure(["vhd", "scan", "-m", "\(dir)/nomatch*"]) == ExitStatus.noInput)
    try Data("garbage".utf8).write(to: URL(fileURLWithPath: "\(dir)/bad.vhd"))
    #expect(failure(["vhd", "scan", "-p", "-m", "\(dir)/*.vhd"]) == 1)
    try run(["vhd", "scan", "-c", "-p", "-m", "\(dir)/*.vhd"])
  }

  /// On a full filesystem a failed create, snapshot or export leaves no partial file behind, and a
  /// fixed disk is really preallocated (it fails up front instead of being "created" sparse). Runs on
  /// a 1 MiB tmpfs the test mounts (root, as in CI); skipped with a message where it cannot mount.
  @Test func fullFilesystemLeavesNoPartialFiles() throws {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let mnt = "\(dir)/small"
    try FileManager.default.createDirectory(atPath: mnt, withIntermediateDirectories: true)
    guard shell("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt]) == 0 else {
      print("fullFilesystemLeavesNoPartialFiles: skipped (cannot mount a tmpfs here)")
      return
    }
    defer { _ = shell("/bin/umount", [mnt]) }
    func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: mnt).sorted() }
    #expect(failure(["vhd", "create", "-n", "\(mnt)/fixed.vhd", "-s", "10", "-r"]) == ExitStatus.ioError)
    #expect(try names().isEmpty)
    try run(["vhd", "create", "-n", "\(mnt)/base.vhd", "-s", "100"])
    try run(["vhd", "write", "-n", "\(mnt)/base.vhd", "--offset", "0", "--pattern", "3", "-l", "4096"])
    // Fill what is left, then nothing new fits.
    _ = shell("/bin/sh", ["-c", "head -c 2097152 /dev/urandom > '\(mnt)/filler'"])
    #expect(
      failure(["vhd", "snapshot", "-n", "\(mnt)/snap.vhd", "-p", "\(mnt)/base.vhd"]) == ExitStatus.ioError)
    #expect(
      failure(["vhd", "export", "-n", "\(mnt)/base.vhd", "-o", "\(mnt)/flat.raw"]) == ExitStatus.ioError)
    let left = try names()
    #expect(!left.contains("snap.vhd") && !left.contains("flat.raw"))
    try run(["vhd", "check", "-n", "\(mnt)/base.vhd"])
  }

  @Test func createSnapshotWriteCoalesceModifyExport() throws {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let s = FileStorage()
    try run(["vhd", "create", "-n", "\(dir)/base.vhd", "-s", "20"])
    #expect(try VHDImage.open("\(dir)/base.vhd", storage: s).virtualSize == 20 << 20)
    try run(["vhd", "write", "-n", "\(dir)/base.vhd", "--offset", "1000", "--pattern", "171", "-l", "5000"])
    try run(["vhd", "snapshot", "-n", "\(dir)/s1.vhd", "-p", "\(dir)/base.vhd"])
    try run(["vhd", "write", "-n", "\(dir)/s1.vhd", "--offset", "3000000", "--pattern", "7", "-l", "4096"])
    try run(["vhd", "snapshot", "-n", "\(dir)/s2.vhd", "-p", "\(dir)/s1.vhd"])
    try run(["vhd", "set", "-n", "\(dir)/base.vhd", "-f", "hidden", "-v", "1"])
    #expect(try VHDImage.open("\(dir)/base.vhd", storage: s).isHidden)
    try run(["vhd", "check", "-n", "\(dir)/s2.vhd", "-p"])
    let before = try VHDChain.open("\(dir)/s2.vhd", storage: s).read(sector: 0, count: 8192)
    try run(["vhd", "coalesce", "-n", "\(dir)/s1.vhd"])
    try run(["vhd", "modify", "-n", "\(dir)/s2.vhd", "-p", "\(dir)/base.vhd"])
    #expect(try VHDChain.open("\(dir)/s2.vhd", storage: s).depth == 2)
    #expect(try VHDChain.open("\(dir)/s2.vhd", storage: s).read(sector: 0, count: 8192) == before)
    try run(["vhd", "export", "-n", "\(dir)/s2.vhd", "-o", "\(dir)/flat.raw"])
    let raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(dir)/flat.raw")))
    #expect(raw.count == 20 << 20)
    #expect(raw[999] == 0 && raw[1000] == 171 && raw[5999] == 171 && raw[6000] == 0)
    #expect(raw[3_000_000] == 7 && raw[3_004_095] == 7 && raw[3_004_096] == 0)
    try run(["vhd", "query", "-n", "\(dir)/s2.vhd", "-v", "-s", "-p", "-f", "-d", "-a"])
    try run(["vhd", "read", "-n", "\(dir)/s2.vhd", "-p"])
    try run(["vhd", "scan", "-p", "-m", "\(dir)/*.vhd"])
  }

  /// Each kind of failure has its exit status (README): a missing input 66, a bad command line 64,
  /// an existing output 73, a request the disk cannot serve 1, a damaged file 65.
  @Test func errorsExitWithTheirStatus() throws {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    #expect(failure(["vhd", "query", "-n", "\(dir)/missing.vhd", "-v"]) == ExitStatus.noInput)
    #expect(failure(["vhd", "create", "-n", "\(dir)/big.vhd", "-s", "3000000"]) == ExitStatus.usage)
    try run(["vhd", "create", "-n", "\(dir)/a.vhd", "-s", "4"])
    #expect(failure(["vhd", "create", "-n", "\(dir)/a.vhd", "-s", "4"]) == ExitStatus.cannotCreate)
    #expect(
      failure(["vhd", "write", "-n", "\(dir)/a.vhd", "--offset", "4194000", "--pattern", "1", "-l", "4096"])
        == 1)
    #expect(failure(["vhd", "coalesce", "-n", "\(dir)/a.vhd"]) == 1)  // no parent
    #expect(failure(["vhd", "set", "-n", "\(dir)/a.vhd", "-f", "hidden", "-v", "2"]) == ExitStatus.usage)
    // A damaged file: check lists problems and exits 1; nothing was written by the failed opens.
    let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/a.vhd"))
    var damaged = [UInt8](bytes)
    damaged[damaged.count - 512 + 9] ^= 0xFF
    damaged[9] ^= 0xFF
    try Data(damaged).write(to: URL(fileURLWithPath: "\(dir)/a.vhd"))
    #expect(failure(["vhd", "check", "-n", "\(dir)/a.vhd"]) == 1)
    #expect(
      failure(["vhd", "write", "-n", "\(dir)/a.vhd", "--offset", "0", "--pattern", "1", "-l", "512"])
        == ExitStatus.dataError)
    #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(dir)/a.vhd"))) == damaged)
  }

  /// Runs a program and returns its exit status (-1 when it cannot start).
  func shell(_ path: String, _ args: [String]) -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return -1 }
    p.waitUntilExit()
    return p.terminationStatus
  }
}

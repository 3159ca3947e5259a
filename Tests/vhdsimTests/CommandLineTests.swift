// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Testing
import VHD

@testable import vhdsim

/// The built `vhdsim` binary as users run it: one error style ("vhdsim: " and the user's flag or
/// file), the exit statuses README lists, `--version`, and the vhd-util flags whose output is text.
@Suite(.serialized) struct CommandLineTests {
  let dir: String

  init() throws {
    dir = NSTemporaryDirectory() + "vhdsim-cmd-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  }

  /// VHDSIM_BINARY, else `vhdsim` in the build folder the test runner was started from (the same build).
  static let binary: String? = {
    let runner = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates: [String?] = [
      ProcessInfo.processInfo.environment["VHDSIM_BINARY"], runner.appendingPathComponent("vhdsim").path,
      runner.deletingLastPathComponent().appendingPathComponent("vhdsim").path,
    ]
    return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
  }()

  /// Runs the binary; returns the exit status, standard output and standard error.
  func vhdsim(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: try #require(Self.binary, "no built vhdsim (set VHDSIM_BINARY)"))
    p.arguments = args
    p.currentDirectoryURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    let (out, err) = (Pipe(), Pipe())
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
  }

  /// Every failure is "vhdsim: " plus one sentence naming the user's flag or file, with its status.
  @Test func errorsNameTheFlagOrFileWithTheirStatus() throws {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let negative = try vhdsim(["vhd", "create", "-n", "\(dir)/a.vhd", "-s", "-3"])
    #expect(negative.status == ExitStatus.usage)
    #expect(negative.err.hasPrefix("vhdsim: The value '-3' is invalid for '-s <mib>'"))
    let missing = try vhdsim(["vhd", "query", "-n", "\(dir)/missing.vhd", "-v"])
    #expect(missing.status == ExitStatus.noInput)
    #expect(missing.err == "vhdsim: \(dir)/missing.vhd: no such file\n")
    let scenario = try vhdsim(["run", "\(dir)/nope.yaml"])
    #expect(scenario.status == ExitStatus.noInput)
    #expect(scenario.err == "vhdsim: \(dir)/nope.yaml: no such scenario file\n")
    let validate = try vhdsim(["scenario", "validate", "\(dir)/nope.yaml"])
    #expect(validate.status == ExitStatus.noInput)
    let faults = try vhdsim(["faults", "--size-mib", "3"])
    #expect(faults.status == ExitStatus.usage)
    #expect(faults.err.hasPrefix("vhdsim: --size-mib takes a multiple of 2 of at least 4, found 3"))
    let scan = try vhdsim(["vhd", "scan"])
    #expect(scan.status == ExitStatus.usage)
    #expect(scan.err.hasPrefix("vhdsim: give files to scan, or -m <glob>"))
    let oldOffset = try vhdsim(["vhd", "write", "-n", "\(dir)/a.vhd", "-o", "0", "--pattern", "1", "-l", "1"])
    #expect(oldOffset.status == ExitStatus.usage)
  }

  /// An output folder that cannot be made fails before the first run starts (nothing on stdout).
  @Test func runChecksTheOutputFolderFirst() throws {
    let started = ContinuousClock.now
    let r = try vhdsim(["run", "Scenarios/quickstart.yaml", "--out", "/proc/nope/out", "--quiet"])
    #expect(r.status == ExitStatus.cannotCreate)
    #expect(r.err.hasPrefix("vhdsim: --out /proc/nope/out: cannot create the folder"))
    #expect(r.out.isEmpty)
    #expect(ContinuousClock.now - started < .seconds(30))
  }

  /// A yum-install check that ran too short to make any file durable says so and fails.
  @Test func consistencyRefusesToCheckNoFiles() throws {
    let r = try vhdsim(["consistency", "--workload", "yum-install", "--duration", "1", "--quiet"])
    #expect(r.status == ExitStatus.failure)
    #expect(r.err.contains("vhdsim: consistency: no file became durable in 1.0 simulated seconds"))
  }

  @Test func versionNamesPackageAndCommit() throws {
    let r = try vhdsim(["--version"])
    #expect(r.status == 0)
    #expect(r.out.hasPrefix("\(Version.package) ("))
    #expect(r.out.hasSuffix(")\n") && !r.out.contains("()"))
  }

  /// query -S and -m, set -f marker and scan -M print what vhd-util prints for a disk whose BAT was
  /// preallocated for 64 MiB (create -S).
  @Test func queryAndScanShowPreallocationAndMarker() throws {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = "\(dir)/m.vhd"
    #expect(try vhdsim(["vhd", "create", "-n", path, "-s", "8", "-S", "64"]).status == 0)
    #expect(try vhdsim(["vhd", "set", "-n", path, "-f", "marker", "-v", "7"]).status == 0)
    #expect(try vhdsim(["vhd", "query", "-n", path, "-v", "-m", "-S"]).out == "8\nmarker: 7\n64\n")
    let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
    #expect(
      try vhdsim(["vhd", "scan", "-M", path]).out
        == "vhd=m.vhd capacity=8388608 size=\(size) hidden=0 marker=7 keyhash= parent=none\n")
    #expect(try vhdsim(["vhd", "check", "-n", path]).status == 0)
  }

  /// check -p -s: per image (base first) the sectors allocated and written, and for the child the
  /// written sectors its parent lacks: 8 of the child's 16 (the other 8 overwrite the base's).
  @Test func checkStatistics() throws {
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let (base, child) = ("\(dir)/b.vhd", "\(dir)/c.vhd")
    for args in [
      ["create", "-n", base, "-s", "8"],
      ["write", "-n", base, "--offset", "0", "--pattern", "1", "-l", "4096"],
      ["snapshot", "-n", child, "-p", base],
      ["write", "-n", child, "--offset", "0", "--pattern", "2", "-l", "4096"],
      ["write", "-n", child, "--offset", "1048576", "--pattern", "3", "-l", "4096"],
    ] {
      #expect(try vhdsim(["vhd"] + args).status == 0)
    }
    let r = try vhdsim(["vhd", "check", "-n", child, "-p", "-s"])
    #expect(r.status == 0)
    #expect(
      r.out.split(separator: "\n").suffix(2) == [
        "b.vhd: secs allocated: 0x1000 secs written: 0x8 (0.20%)",
        "c.vhd: secs allocated: 0x1000 secs written: 0x10 (0.39%) secs not in parent: 0x8 (50.00%) "
          + "secs not in ancestors: 0x8 (50.00%)",
      ])
  }

  /// Without a terminal, progress is plain lines on standard error (one per tenth of the simulated
  /// time for simulate), never on standard output; --quiet silences it. The run in slices for the
  /// progress lines measures exactly what the run in one piece (--quiet) does.
  @Test func progressIsPlainLinesWithoutATerminal() throws {
    let args = ["simulate", "--depth", "1", "--size-mib", "64", "--duration", "0.01", "--json"]
    let shown = try vhdsim(args)
    #expect(shown.status == 0)
    let lines = shown.err.split(separator: "\n")
    #expect(
      lines.map { $0.split(separator: " ").prefix(2).joined(separator: " ") }
        == (1...10).map { "simulate: \($0 * 10)%" })
    #expect(shown.out.hasPrefix("{"))
    let quiet = try vhdsim(args + ["--quiet"])
    #expect(quiet.err.isEmpty && quiet.out == shown.out)
  }
}

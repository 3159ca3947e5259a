// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Testing

/// The documented GNU parallel recipe, for real: three `vhdsim run --shard-from-env` processes started
/// by Debian's `parallel` (each told its shard by PARALLEL_SEQ), then `vhdsim merge`, must give the
/// files of one unsharded `vhdsim run`. Skips, saying why, only when parallel or the built binary is
/// missing — never under CI=true.
@Suite struct ParallelShardTests {
  static func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
      let path = "\(dir)/\(name)"
      if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
  }

  /// `vhdsim` next to the test bundle (the same build), else VHDSIM_BINARY.
  static func vhdsim() -> String? {
    var candidates: [String] = []
    if let env = ProcessInfo.processInfo.environment["VHDSIM_BINARY"] { candidates.append(env) }
    let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent()
    candidates.append(bundleDir.appendingPathComponent("vhdsim").path)
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    candidates += [
      exe.appendingPathComponent("vhdsim").path,
      exe.deletingLastPathComponent().appendingPathComponent("vhdsim").path,
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  @discardableResult
  static func execute(_ exe: String, _ args: [String], env: [String: String] = [:]) throws -> (Int32, String)
  {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    var environment = ProcessInfo.processInfo.environment
    for (k, v) in env { environment[k] = v }
    for k in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"] where env[k] == nil { environment[k] = nil }
    p.environment = environment
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  @Test func gnuParallelThreeWaySplitEqualsUnsplitRun() throws {
    let ci = ProcessInfo.processInfo.environment["CI"] == "true"
    let parallel = Self.which("parallel")
    let binary = Self.vhdsim()
    if ci {
      try #require(parallel != nil, "CI=true: GNU parallel must be installed (Debian package parallel)")
      try #require(
        binary != nil, "CI=true: the built vhdsim binary must be next to the tests or in VHDSIM_BINARY")
    }
    guard let parallel, let binary else {
      print(
        "ParallelShardTests: skipped, "
          + (parallel == nil
            ? "GNU parallel is not on PATH" : "no built vhdsim binary found (set VHDSIM_BINARY)"))
      return
    }
    let root = Fixture.temporaryDirectory("parallel")
    defer { try? FileManager.default.removeItem(atPath: root) }
    let scenario = (root as NSString).appendingPathComponent("shardy.yaml")
    try Fixture.yaml.write(toFile: scenario, atomically: true, encoding: .utf8)
    let shards = (root as NSString).appendingPathComponent("shards")
    let whole = (root as NSString).appendingPathComponent("whole")
    let merged = (root as NSString).appendingPathComponent("merged")

    let (status, log) = try Self.execute(
      parallel,
      [
        "--will-cite", "--halt", "now,fail=1", "-j", "3", "-N0", binary, "run", scenario, "--shard-from-env",
        "--jobs", "1",
        "--out", shards, "--no-report", ":::", "1", "2", "3",
      ], env: ["VHDSIM_SHARD_COUNT": "3"])
    #expect(status == 0, "parallel: \(log)")
    let made = try FileManager.default.contentsOfDirectory(atPath: shards).sorted()
    #expect(made == ["shard-0-of-3", "shard-1-of-3", "shard-2-of-3"])

    let (ms, mlog) = try Self.execute(binary, ["merge", shards, "--out", merged])
    #expect(ms == 0, "merge: \(mlog)")
    let (ws, wlog) = try Self.execute(binary, ["run", scenario, "--out", whole, "--jobs", "2"])
    #expect(ws == 0, "run: \(wlog)")
    for name in [
      "summary.json", "runs.csv", "timeseries.csv", "comparison.json", "report.md", "report.html",
      "records/metrics.csv",
    ] {
      let a = try Fixture.read(whole, name)
      let b = try Fixture.read(merged, name)
      #expect(Fixture.firstDifference(a, b) == nil, "\(name) differs")
    }

    // Merging only two of the three shards is refused with the reason.
    let (bad, badLog) = try Self.execute(
      binary,
      [
        "merge", (shards as NSString).appendingPathComponent("shard-0-of-3"),
        (shards as NSString).appendingPathComponent("shard-2-of-3"), "--out", merged + "-partial",
        "--no-report",
      ])
    #expect(bad == 65)  // EX_DATAERR: the records do not make one run
    #expect(badLog.contains("vhdsim: merge: 3 of 8 runs are missing, first: batmap-on/chain.depth=2/r1"))
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Foundation
import VHD

struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check", abstract: "Validate a VHD by every rule vhd-util check applies; list every problem."
  )
  @Option(name: .customShort("n"), help: vhdFileHelp()) var name: String
  @Flag(name: .customShort("p"), help: "Also check the parents.") var parents = false
  @Flag(name: .customShort("i"), help: "Ignore a bad primary footer (use the offset-0 copy).")
  var ignorePrimary = false
  @Flag(name: .customShort("I"), help: "Ignore the parent UUID.") var ignoreParentUUID = false
  @Flag(name: .customShort("t"), help: "Ignore timestamps.") var ignoreTimestamps = false
  @Flag(name: .customShort("b"), help: "Verify that data is zero where the bitmap is clear.") var zeroData =
    false
  @Flag(name: .customShort("B"), help: "Skip the BAT overlap test (not with -s or -b).") var skipOverlap =
    false
  @Flag(
    name: .customShort("s"),
    help:
      "Statistics: sectors allocated and written per image (with -p, also those not in the parent or ancestors)."
  ) var statistics = false

  func validate() throws {
    if skipOverlap && (statistics || zeroData) { throw ValidationError("-B cannot go with -s or -b") }
  }

  func run() throws {
    var options = CheckOptions()
    options.checkParents = parents
    options.ignorePrimaryFooter = ignorePrimary
    options.ignoreParentUUID = ignoreParentUUID
    options.ignoreTimestamps = ignoreTimestamps
    options.checkZeroData = zeroData
    options.skipOverlapTest = skipOverlap
    let problems = VHDCheck.check(path: name, storage: fileStorage, options: options)
    if problems.isEmpty {
      print("\(name) is valid")
      if statistics { try runReportingErrors { try printStatistics() } }
      return
    }
    for p in problems { printError("\(p)") }
    printError("\(name) has \(problems.count) problem\(problems.count == 1 ? "" : "s")")
    throw ExitCode(ExitStatus.failure)
  }

  /// vhd-util's lines: hexadecimal sector counts, percentages with two decimals.
  func printStatistics() throws {
    let images =
      parents
      ? try VHDChain.open(name, storage: fileStorage).images : [try VHDImage.open(name, storage: fileStorage)]
    func pct(_ n: UInt64, _ d: UInt64) -> String {
      String(format: "%.2f%%", d == 0 ? 0 : Double(Float(n) / Float(d) * 100))
    }
    for s in try CheckStatistics.collect(images).images {
      var line =
        "\(VHDPath.basename(s.path)): secs allocated: 0x\(String(s.sectorsAllocated, radix: 16)) "
        + "secs written: 0x\(String(s.sectorsWritten, radix: 16)) (\(pct(s.sectorsWritten, s.sectorsAllocated)))"
      if let up = s.notInParent, let uc = s.notInAncestors {
        line +=
          " secs not in parent: 0x\(String(up, radix: 16)) (\(pct(up, s.sectorsWritten)))"
          + " secs not in ancestors: 0x\(String(uc, radix: 16)) (\(pct(uc, s.sectorsWritten)))"
      }
      print(line)
    }
  }
}

struct ScanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scan", abstract: "List VHDs with size, hidden flag and parent; -p prints the tree.")
  @Option(
    name: .customShort("m"),
    help: ArgumentHelp("Glob of files to scan (e.g. '/sr/*.vhd').", valueName: "glob"))
  var glob: String?
  @Flag(name: .customShort("f"), help: "Fast scan (accepted; every scan reads only metadata).") var fast =
    false
  @Flag(name: .customShort("c"), help: "Continue on failure: exit 0 even when files could not be scanned.")
  var continueOnFailure = false
  @Flag(name: .customShort("p"), help: "Pretty tree.") var pretty = false
  @Flag(name: .customShort("a"), help: "Also scan the parents of the files found.") var scanParents = false
  @Flag(name: .customShort("v"), help: "Full paths instead of basenames.") var verbose = false
  @Flag(name: .customShort("M"), help: "Show each image's BATmap marker (and an empty keyhash).")
  var markers = false
  @Argument(help: ArgumentHelp("Files to scan.", valueName: "file")) var files: [String] = []

  func validate() throws {
    if glob == nil && files.isEmpty { throw ValidationError("give files to scan, or -m <glob>") }
  }

  func run() throws {
    try runReportingErrors {
      var paths = files
      if let glob {
        let matched = expandGlob(glob)
        guard !matched.isEmpty else { throw CommandLineError.noInput(glob, "file matches -m") }
        paths += matched
      }
      let entries = VHDScan.scan(
        paths: paths, storage: fileStorage, includeParents: scanParents, markers: markers)
      let lines =
        pretty
        ? VHDScan.prettyTree(entries, verbose: verbose, markers: markers)
        : VHDScan.lines(entries, verbose: verbose, markers: markers)
      for l in lines { print(l) }
      // Every error is printed above; the exit status says there was one.
      let failed = entries.filter { $0.error != nil }.count
      let looped = VHDScan.loops(entries)
      for path in looped { printError("\(path): its parent links form a loop") }
      if failed > 0 { printError("\(failed) of \(entries.count) files could not be scanned") }
      if (failed > 0 || !looped.isEmpty) && !continueOnFailure { throw ExitCode(ExitStatus.failure) }
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif

/// Shell-style glob expansion (glob(3)), sorted.
func expandGlob(_ pattern: String) -> [String] {
  var g = glob_t()
  defer { globfree(&g) }
  guard glob(pattern, 0, nil, &g) == 0 else { return [] }
  return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }.sorted()
}

// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import VHD

struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check", abstract: "Validate a VHD by every rule vhd-util check applies; list every problem."
  )
  @Option(name: .customShort("n"), help: "VHD file.") var name: String
  @Flag(name: .customShort("p"), help: "Also check the parents.") var parents = false
  @Flag(name: .customShort("i"), help: "Ignore a bad primary footer (use the offset-0 copy).")
  var ignorePrimary = false
  @Flag(name: .customShort("I"), help: "Ignore the parent UUID.") var ignoreParentUUID = false
  @Flag(name: .customShort("t"), help: "Ignore timestamps.") var ignoreTimestamps = false
  @Flag(name: .customShort("b"), help: "Verify that data is zero where the bitmap is clear.") var zeroData =
    false
  @Flag(name: .customShort("B"), help: "Skip the BAT overlap test.") var skipOverlap = false

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
      return
    }
    for p in problems { printError("vhdsim: \(p)") }
    printError("vhdsim: \(name) has \(problems.count) problem\(problems.count == 1 ? "" : "s")")
    throw ExitCode(1)
  }
}

struct ScanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scan", abstract: "List VHDs with size, hidden flag and parent; -p prints the tree.")
  @Flag(name: .customShort("p"), help: "Pretty tree.") var pretty = false
  @Flag(name: .customShort("v"), help: "Full paths instead of basenames.") var verbose = false
  @Option(name: .customShort("m"), help: "Glob of files to scan (e.g. '/sr/*.vhd').") var glob: String?
  @Argument(help: "Files to scan.") var files: [String] = []

  func run() throws {
    try runReportingErrors {
      var paths = files
      if let glob {
        let matched = expandGlob(glob)
        guard !matched.isEmpty else { throw ValidationError("-m '\(glob)' matches no file") }
        paths += matched
      }
      guard !paths.isEmpty else { throw ValidationError("give FILES or -m GLOB") }
      let entries = VHDScan.scan(paths: paths, storage: fileStorage)
      let lines =
        pretty ? VHDScan.prettyTree(entries, verbose: verbose) : VHDScan.lines(entries, verbose: verbose)
      for l in lines { print(l) }
      // Every error is printed above; the exit status says there was one.
      let failed = entries.filter { $0.error != nil }.count
      let looped = VHDScan.loops(entries)
      for path in looped { printError("vhdsim: \(path): its parent links form a loop") }
      if failed > 0 { printError("vhdsim: \(failed) of \(entries.count) files could not be scanned") }
      if failed > 0 || !looped.isEmpty { throw ExitCode(1) }
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

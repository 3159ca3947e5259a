// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import VHD

struct CoalesceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "coalesce",
    abstract: "Copy every sector present in a differencing VHD into its immediate parent.")
  @Option(name: .customShort("n"), help: vhdFileHelp("Differencing VHD.")) var name: String
  @Flag(name: .customShort("p"), help: "Show progress (the default unless --quiet; kept for vhd-util's -p).")
  var showProgress = false
  @OptionGroup var progressOptions: ProgressOptions

  func run() throws {
    try runReportingErrors {
      let job = try CoalesceJob.open(name, storage: fileStorage, options: .synced)
      let progress = progressOptions.line("coalesce")
      while !job.isFinished {
        try job.step(maxBytes: 16 << 20)
        progress?.update(job.progress)
      }
      // Finishes what the steps left (the parent's metadata) and counts the sectors.
      let sectors = try job.run()
      progress?.finish()
      print("Coalesced \(sectors) sectors")
    }
  }
}

struct ModifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "modify", abstract: "Point a differencing VHD at a new parent.")
  @Option(name: .customShort("n"), help: vhdFileHelp("Differencing VHD.")) var name: String
  @Option(name: .customShort("p"), help: ArgumentHelp("New parent.", valueName: "file")) var parent: String
  @Flag(name: .customShort("m"), help: "The new parent is a raw image.") var raw = false

  func run() throws {
    try runReportingErrors {
      try VHDReparent.reparent(
        name, newParent: parent, rawParent: raw, storage: fileStorage, refuseLoops: true)
    }
  }
}

struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Flatten a chain into a raw image (sparse where the chain reads zeros). Not in vhd-util.")
  @Option(name: .customShort("n"), help: vhdFileHelp("Leaf VHD of the chain.")) var name: String
  @Option(
    name: .customShort("o"), help: ArgumentHelp("Raw output file (created or replaced).", valueName: "file"))
  var output: String
  @Flag(help: "fsync the output before exiting.") var sync = false
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Parallel readers (each opens the chain once); default: cores, at most 4.", valueName: "n"))
  var jobs: Int?
  @OptionGroup var progressOptions: ProgressOptions

  func validate() throws {
    if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs takes 1...64, found \(jobs)") }
  }

  func run() throws {
    try runReportingErrors {
      let workers = jobs ?? min(4, cpuCount())
      let chains = try (0..<workers).map { _ in try VHDChain.open(name, storage: fileStorage) }
      // Built under a partial name and renamed into place: the old output stays until the new one is whole.
      let progress = progressOptions.line("export")
      _ = try VHDExport.toFile(chains, path: output, storage: fileStorage, sync: sync) {
        progress?.update($0)
      }
      progress?.finish()
    }
  }
}

struct WriteCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "write",
    abstract: "Write bytes into a VHD chain's leaf at a byte offset (for demos and tests). Not in vhd-util.")
  @Option(name: .customShort("n"), help: vhdFileHelp("Leaf VHD.")) var name: String
  @Option(
    parsing: .unconditional, help: ArgumentHelp("Byte offset in the virtual disk.", valueName: "bytes"))
  var offset: UInt64
  @Option(name: .customShort("i"), help: ArgumentHelp("File whose bytes to write.", valueName: "file"))
  var input: String?
  @Option(
    parsing: .unconditional, help: ArgumentHelp("Byte value (0...255) to repeat.", valueName: "byte"))
  var pattern: Int?
  @Option(
    name: .customShort("l"), parsing: .unconditional,
    help: ArgumentHelp("Length for --pattern, in bytes.", valueName: "bytes"))
  var length: Int?

  func validate() throws {
    if (input == nil) == (pattern == nil) {
      throw ValidationError("give either -i <file> or --pattern <byte> -l <bytes>")
    }
    if pattern != nil && (length == nil || length! <= 0) {
      throw ValidationError("--pattern needs -l <bytes> greater than 0")
    }
    if let pattern, !(0...255).contains(pattern) {
      throw ValidationError("--pattern takes 0...255, found \(pattern)")
    }
  }

  func run() throws {
    try runReportingErrors {
      if let input { try requireInputFile(input) }
      let chain = try VHDChain.open(name, storage: fileStorage, writable: true, options: .synced)
      let source = try input.map { try fileStorage.open($0, writable: false) }
      let byteCount = source?.length ?? UInt64(length!)
      // The range is checked before any buffer is sized from the user's numbers.
      let (end, overflow) = offset.addingReportingOverflow(byteCount)
      guard !overflow, end <= chain.virtualSize else {
        throw VHDError(
          .outOfRange, file: name,
          "a write of \(byteCount) bytes at --offset \(offset) runs past the end of the \(chain.virtualSize)-byte disk"
        )
      }
      var bytes = [UInt8](repeating: UInt8(pattern ?? 0), count: Int(byteCount))
      if let source { try bytes.withUnsafeMutableBytes { try source.read(into: $0, at: 0, kind: .data) } }
      try chain.write(byteOffset: offset, bytes: bytes)
      try chain.close()
    }
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import VHD

/// `vhdsim vhd`: commands and flags after blktap's vhd-util, so people who know it feel at home.
struct VHDTool: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vhd",
    abstract: "Create, inspect, check and change VHD files (vhd-util style, blktap-compatible).",
    subcommands: [
      CreateCommand.self, SnapshotCommand.self, QueryCommand.self, ReadCommand.self, CheckCommand.self,
      ScanCommand.self, SetCommand.self, CoalesceCommand.self, ModifyCommand.self, ExportCommand.self,
      WriteCommand.self,
    ]
  )
}

/// The real file system, shared by the commands.
var fileStorage: FileStorage { FileStorage() }

struct CreateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create", abstract: "Create a dynamic (or, with -r, fixed) VHD; size rounded up to 2 MiB.")
  @Option(name: .customShort("n"), help: "File to create.") var name: String
  @Option(name: .customShort("s"), help: "Virtual size in MiB.") var sizeMiB: UInt64
  @Flag(name: .customShort("r"), help: "Fixed (preallocated) disk instead of dynamic.") var fixed = false

  func run() throws {
    try runReportingErrors {
      guard sizeMiB > 0, sizeMiB <= VHDLimits.maximumSize >> 20 else {
        throw VHDError(
          .sizeTooLarge, file: name, field: "-s", "size must be 1..\(VHDLimits.maximumSize >> 20) MiB")
      }
      let size = sizeMiB << 20
      try removingOnFailure(name) {
        _ =
          fixed
          ? try VHDImage.createFixed(name, size: size, storage: fileStorage, options: .synced)
          : try VHDImage.createDynamic(name, size: size, storage: fileStorage, options: .synced)
      }
    }
  }
}

/// Runs `body`, which creates `path`; when it fails, removes what it created (as vhd-util removes its
/// partial file), so the error is the only trace and a rerun starts clean. A file that was there
/// before is never removed.
func removingOnFailure(_ path: String, _ body: () throws -> Void) throws {
  let existed = fileStorage.exists(path)
  do {
    try body()
  } catch {
    if !existed && fileStorage.exists(path) { try? fileStorage.remove(path) }
    throw error
  }
}

struct SnapshotCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "snapshot",
    abstract: "Create a differencing VHD on a parent (skipping empty parents unless -e).")
  @Option(name: .customShort("n"), help: "Child file to create.") var name: String
  @Option(name: .customShort("p"), help: "Parent file.") var parent: String
  @Flag(name: .customShort("m"), help: "The parent is a raw image.") var raw = false
  @Flag(name: .customShort("e"), help: "Do not skip empty differencing parents.") var noSkip = false
  @Option(name: .customShort("l"), help: "Refuse if the chain would be deeper than this.") var depthLimit:
    Int?
  @Option(name: .customShort("S"), help: "Virtual size of the child in MiB (default: the parent's).")
  var sizeMiB: UInt64?

  func run() throws {
    try runReportingErrors {
      try removingOnFailure(name) {
        try VHDSnapshot.create(
          childPath: name, parentPath: parent, storage: fileStorage,
          options: .init(
            skipEmptyParents: !noSkip, rawParent: raw, depthLimit: depthLimit, size: sizeMiB.map { $0 << 20 }),
          engine: .synced)
      }
    }
  }
}

struct QueryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "query", abstract: "Print facts about a VHD, one per line in vhd-util's order.")
  @Option(name: .customShort("n"), help: "VHD file.") var name: String
  @Flag(name: .customShort("v"), help: "Virtual size in MiB.") var virtualSize = false
  @Flag(name: .customShort("s"), help: "Physical size in bytes.") var physicalSize = false
  @Flag(name: .customShort("p"), help: "Parent path.") var parent = false
  @Flag(name: .customShort("f"), help: "Hidden flag.") var hidden = false
  @Flag(name: .customShort("d"), help: "Chain depth.") var depth = false
  @Flag(name: .customShort("a"), help: "Allocated block count.") var allocated = false

  func run() throws {
    try runReportingErrors {
      let image = try VHDImage.open(name, storage: fileStorage)
      if virtualSize { print(image.virtualSize >> 20) }
      if physicalSize { print(image.device.length) }
      if parent {
        if image.format == .differencing {
          print(try VHDChain.resolveParent(of: image, storage: fileStorage))
        } else {
          print("\(name) has no parent")
        }
      }
      if hidden { print("hidden: \(image.footer.hidden)") }
      if depth { print("chain depth: \(try VHDChain.open(name, storage: fileStorage).depth)") }
      if allocated { print(image.allocatedBlockCount) }
    }
  }
}

struct SetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "set", abstract: "Set the hidden flag or the BATmap marker.")
  @Option(name: .customShort("n"), help: "VHD file.") var name: String
  @Option(name: .customShort("f"), help: "Field: hidden or marker.") var field: String
  @Option(name: .customShort("v"), help: "Value (hidden: 0 or 1; marker: 0..255).") var value: Int

  func run() throws {
    try runReportingErrors {
      switch field {
      case "hidden":
        guard value == 0 || value == 1 else {
          throw VHDError(.invalidArgument, file: name, field: "-v", "hidden takes 0 or 1")
        }
        try VHDImage.open(name, storage: fileStorage, writable: true).setHidden(value == 1)
      case "marker":
        guard (0...255).contains(value) else {
          throw VHDError(.invalidArgument, file: name, field: "-v", "marker takes 0..255")
        }
        try VHDImage.open(name, storage: fileStorage, writable: true).setMarker(UInt8(value))
      default:
        throw VHDError(.invalidArgument, file: name, field: "-f", "unknown field '\(field)' (hidden, marker)")
      }
    }
  }
}

struct CoalesceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "coalesce",
    abstract: "Copy every sector present in a differencing VHD into its immediate parent.")
  @Option(name: .customShort("n"), help: "Differencing VHD.") var name: String

  func run() throws {
    try runReportingErrors {
      let job = try CoalesceJob.open(name, storage: fileStorage, options: .synced)
      let sectors = try job.run()
      print("Coalesced \(sectors) sectors")
    }
  }
}

struct ModifyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "modify", abstract: "Point a differencing VHD at a new parent.")
  @Option(name: .customShort("n"), help: "Differencing VHD.") var name: String
  @Option(name: .customShort("p"), help: "New parent.") var parent: String
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
    commandName: "export", abstract: "Flatten a chain into a raw image (sparse where the chain reads zeros).")
  @Option(name: .customShort("n"), help: "Leaf VHD of the chain.") var name: String
  @Option(name: .customShort("o"), help: "Raw output file (created or replaced).") var output: String
  @Flag(help: "fsync the output before exiting.") var sync = false
  @Option(help: "Parallel readers (each opens the chain once); default: cores, at most 4.") var jobs: Int?

  func validate() throws {
    if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs takes 1...64") }
  }

  func run() throws {
    try runReportingErrors {
      let workers = jobs ?? min(4, cpuCount())
      let chains = try (0..<workers).map { _ in try VHDChain.open(name, storage: fileStorage) }
      let progress = ProgressLine(label: "export")
      _ = try VHDExport.toFile(chains, path: output, storage: fileStorage, sync: sync) { progress.update($0) }
      progress.finish()
    }
  }
}

struct WriteCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "write",
    abstract: "Write bytes into a VHD chain's leaf at a byte offset (for demos and tests).")
  @Option(name: .customShort("n"), help: "Leaf VHD.") var name: String
  @Option(name: .customShort("o"), help: "Byte offset in the virtual disk.") var offset: UInt64
  @Option(name: .customShort("i"), help: "File whose bytes to write.") var input: String?
  @Option(name: .long, help: "Byte value (0..255) to repeat.") var pattern: Int?
  @Option(name: .customShort("l"), help: "Length for --pattern, in bytes.") var length: Int?

  func validate() throws {
    if (input == nil) == (pattern == nil) {
      throw ValidationError("give either -i FILE or --pattern BYTE -l LENGTH")
    }
    if pattern != nil && (length == nil || length! <= 0) {
      throw ValidationError("--pattern needs -l LENGTH > 0")
    }
    if let pattern, !(0...255).contains(pattern) { throw ValidationError("--pattern takes 0..255") }
  }

  func run() throws {
    try runReportingErrors {
      let chain = try VHDChain.open(name, storage: fileStorage, writable: true, options: .synced)
      let source = try input.map { try fileStorage.open($0, writable: false) }
      let byteCount = source?.length ?? UInt64(length!)
      // The range is checked before any buffer is sized from the user's numbers.
      let (end, overflow) = offset.addingReportingOverflow(byteCount)
      guard !overflow, end <= chain.virtualSize else {
        throw VHDError(
          .outOfRange, file: name, field: "offset", offset: offset,
          "write of \(byteCount) bytes at \(offset) runs past the end of the \(chain.virtualSize)-byte disk")
      }
      var bytes = [UInt8](repeating: UInt8(pattern ?? 0), count: Int(byteCount))
      if let source { try bytes.withUnsafeMutableBytes { try source.read(into: $0, at: 0, kind: .data) } }
      try chain.write(byteOffset: offset, bytes: bytes)
      try chain.close()
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif

/// Online processors.
func cpuCount() -> Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

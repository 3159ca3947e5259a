// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import VHD

/// The disk sizes a user may give in MiB: 1 MiB up to the format's limit.
let mibRange: ClosedRange<UInt64> = 1...(VHDLimits.maximumSize >> 20)

/// Checks a size in MiB given with `flag`, before anything is sized from it.
func checkMiB(_ value: UInt64?, flag: String) throws {
  if let value, !mibRange.contains(value) {
    throw ValidationError(
      "\(flag) takes \(mibRange.lowerBound)...\(mibRange.upperBound) (MiB), found \(value)")
  }
}

struct CreateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create",
    abstract: "Create a dynamic (or, with -r, fixed) VHD; sizes are rounded up to 2 MiB.")
  @Option(name: .customShort("n"), help: ArgumentHelp("File to create.", valueName: "file")) var name: String
  @Option(
    name: .customShort("s"), parsing: .unconditional,
    help: ArgumentHelp("Virtual size in MiB.", valueName: "mib"))
  var sizeMiB: UInt64
  @Flag(name: .customShort("r"), help: "Fixed disk, its data preallocated, instead of dynamic.") var fixed =
    false
  @Option(
    name: .customShort("S"), parsing: .unconditional,
    help: ArgumentHelp(
      "Metadata preallocation: size the BAT for a disk of this many MiB (at least -s), so it can grow later.",
      valueName: "mib"))
  var metadataMiB: UInt64?

  func validate() throws {
    try checkMiB(sizeMiB, flag: "-s")
    try checkMiB(metadataMiB, flag: "-S")
    if let metadataMiB, metadataMiB < sizeMiB {
      throw ValidationError("-S \(metadataMiB) must not be smaller than -s \(sizeMiB)")
    }
    if fixed && metadataMiB != nil { throw ValidationError("-S applies to dynamic disks, not with -r") }
  }

  func run() throws {
    try runReportingErrors {
      let size = sizeMiB << 20
      try removingOnFailure(name) {
        _ =
          fixed
          ? try VHDImage.createFixed(name, size: size, storage: fileStorage, options: .synced)
          : try VHDImage.createDynamic(
            name, size: size, metadataSize: metadataMiB.map { $0 << 20 }, storage: fileStorage,
            options: .synced)
      }
    }
  }
}

struct SnapshotCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "snapshot",
    abstract: "Create a differencing VHD on a parent (skipping empty parents unless -e).")
  @Option(name: .customShort("n"), help: ArgumentHelp("Child file to create.", valueName: "file")) var name:
    String
  @Option(name: .customShort("p"), help: ArgumentHelp("Parent file.", valueName: "file")) var parent: String
  @Flag(name: .customShort("m"), help: "The parent is a raw image.") var raw = false
  @Flag(name: .customShort("e"), help: "Link to the given parent even when it is empty.") var noSkip = false
  @Option(
    name: .customShort("l"), parsing: .unconditional,
    help: ArgumentHelp("Refuse if the chain would be deeper than this.", valueName: "depth"))
  var depthLimit: Int?
  @Option(
    name: .customShort("S"), parsing: .unconditional,
    help: ArgumentHelp(
      "Metadata preallocation: size the child's BAT for a disk of this many MiB, so it can grow later.",
      valueName: "mib"))
  var metadataMiB: UInt64?
  @Option(
    name: .customLong("size-mib"), parsing: .unconditional,
    help: ArgumentHelp(
      "Virtual size of the child in MiB, at least the parent's (default: the parent's). Not in vhd-util.",
      valueName: "mib"))
  var sizeMiB: UInt64?

  func validate() throws {
    try checkMiB(sizeMiB, flag: "--size-mib")
    try checkMiB(metadataMiB, flag: "-S")
    if let depthLimit, depthLimit < 1 {
      throw ValidationError("-l takes a depth of at least 1, found \(depthLimit)")
    }
  }

  func run() throws {
    try runReportingErrors {
      try removingOnFailure(name) {
        try VHDSnapshot.create(
          childPath: name, parentPath: parent, storage: fileStorage,
          options: .init(
            skipEmptyParents: !noSkip, rawParent: raw, depthLimit: depthLimit, size: sizeMiB.map { $0 << 20 },
            metadataSize: metadataMiB.map { $0 << 20 }),
          engine: .synced)
      }
    }
  }
}

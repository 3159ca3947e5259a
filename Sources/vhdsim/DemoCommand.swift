// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Benchmarking
import VHD

/// The README's main job until scenario files exist: builds a real blktap-style chain, shows what
/// each level costs a guest read, flattens it, checks it, and (if installed) lets qemu-img and
/// vhdiinfo look at the files.
struct DemoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "demo",
    abstract: "Build a snapshot chain and show what every chain level costs (the default job).")
  @Option(help: "Folder for the demo's files (default: a new temporary folder, removed afterwards).") var dir:
    String?
  @Option(parsing: .unconditional, help: "Snapshots to take; the table shows every depth built.")
  var snapshots = 16
  @Option(name: .customLong("size-mib"), help: "Virtual disk size in MiB.") var sizeMiB: UInt64 = 256

  func validate() throws {
    guard (1...VHDLimits.maximumChainDepth - 1).contains(snapshots) else {
      throw ValidationError("--snapshots takes 1...\(VHDLimits.maximumChainDepth - 1), found \(snapshots)")
    }
    guard sizeMiB >= 2, sizeMiB % 2 == 0, sizeMiB <= VHDLimits.maximumSize >> 20 else {
      throw ValidationError("--size-mib takes a positive even number, found \(sizeMiB)")
    }
  }

  func run() throws {
    try runReportingErrors {
      let demo = try ChainDemo(folder: dir, snapshots: snapshots, size: sizeMiB << 20)
      try demo.run { print($0) }
    }
  }
}

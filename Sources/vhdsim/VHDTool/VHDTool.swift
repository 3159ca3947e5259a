// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import VHD

/// `vhdsim vhd`: commands and flags after blktap's vhd-util, so people who know it feel at home
/// (what differs is listed in docs/vhd-util-compatibility.md).
struct VHDTool: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "vhd",
    abstract: "Create, inspect, check and change VHD files (vhd-util style, blktap-compatible).",
    discussion: """
      Each subcommand takes vhd-util's flags with vhd-util's meanings; `export`, `write`, and the \
      long options are vhdsim's own. docs/vhd-util-compatibility.md lists every difference.
      """,
    subcommands: [
      CreateCommand.self, SnapshotCommand.self, QueryCommand.self, ReadCommand.self, CheckCommand.self,
      ScanCommand.self, SetCommand.self, CoalesceCommand.self, ModifyCommand.self, ExportCommand.self,
      WriteCommand.self,
    ]
  )
}

/// The real file system, shared by the commands.
var fileStorage: FileStorage { FileStorage() }

/// `-n <file>`: the VHD a subcommand works on.
func vhdFileHelp(_ text: String = "VHD file.") -> ArgumentHelp { ArgumentHelp(text, valueName: "file") }

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

#if canImport(Glibc)
  import Glibc
#endif

/// Online processors.
func cpuCount() -> Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Experiments

/// `vhdsim scenario`: work with scenario files (YAML) without running them: `validate`, so a study
/// can be checked in CI and in an editor before anything runs (`vhdsim run` runs one).
struct ScenarioCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scenario",
    abstract: "Check scenario files (YAML): policies × sweep points × replicates.",
    subcommands: [Validate.self]
  )

  struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Decode scenario files strictly and print how many runs each expands to.",
      discussion: """
        Prints `FILE: ok (N runs: P policies × S sweep points × R replicates)` per file, or \
        `vhdsim: FILE:LINE:COLUMN: what was expected` on standard error. Exits 65 if any file has an \
        error, 66 if one does not exist. \
        See docs/scenarios.md for every key.
        """)

    @Argument(help: "Scenario files.") var files: [String]

    func validate() throws {
      guard !files.isEmpty else { throw ValidationError("give at least one scenario file") }
    }

    func run() throws {
      var status: Int32 = 0
      for file in files {
        do {
          try requireInputFile(file, "scenario file")
          let s = try Scenario.load(path: file)
          print(
            "\(file): ok (\(s.runCount) runs: \(s.policies.count) policies × "
              + "\(s.sweep.pointCount) sweep points"
              + " × \(s.replicates) replicates)")
        } catch {
          printError("\(error)")
          status = max(status, ExitStatus.of(error) ?? ExitStatus.failure)
        }
      }
      if status != 0 { throw ExitCode(status) }
    }
  }
}

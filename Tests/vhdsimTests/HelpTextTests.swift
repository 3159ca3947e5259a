// SPDX-License-Identifier: GPL-3.0-or-later
import ArgumentParser
import Testing

@testable import vhdsim

/// `--help` as users read it. ArgumentParser wraps each line of a command's discussion on its own
/// and keeps the line breaks, so a paragraph broken across source lines without a trailing `\`
/// prints as ragged half-lines. Every break in a discussion must therefore end a paragraph (a blank
/// line) or start a list item: a backquoted command, a "- " bullet, or a name column ("export  …").
struct HelpTextTests {
  /// Every command reachable from `vhdsim`, with its path for messages.
  static func commands(
    _ command: any ParsableCommand.Type = VHDSimCommand.self, path: String = "vhdsim"
  ) -> [(String, any ParsableCommand.Type)] {
    [(path, command)]
      + command.configuration.subcommands.flatMap {
        commands($0, path: path + " " + $0._commandName)
      }
  }

  @Test func discussionsBreakOnlyBetweenParagraphsOrItems() {
    let all = Self.commands()
    #expect(all.count > 20)
    for (path, command) in all {
      let lines = command.configuration.discussion.split(separator: "\n", omittingEmptySubsequences: false)
      for (previous, line) in zip(lines, lines.dropFirst()) where !previous.isEmpty && !line.isEmpty {
        let startsItem =
          line.hasPrefix("`") || line.hasPrefix("- ")
          || (line.firstIndex(of: " ").map { line[$0...].hasPrefix("  ") } ?? false)
        #expect(startsItem, "\(path): a line break inside a paragraph before \"\(line.prefix(40))\"")
      }
    }
  }
}

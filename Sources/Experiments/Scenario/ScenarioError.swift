// SPDX-License-Identifier: GPL-3.0-or-later

/// A problem in a scenario file, at the position a person would fix it. Every error names
/// `file:line:column` (1-based, columns in Unicode scalars as libyaml counts them) so an editor can
/// jump there; nothing in a scenario file is ever reported without a position.
public struct ScenarioError: Error, Equatable, Sendable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int
  /// What was expected there (and what was found), without the position.
  public var message: String

  public init(file: String, line: Int, column: Int, message: String) {
    self.file = file
    self.line = line
    self.column = column
    self.message = message
  }

  /// `file:line:column: message`, the form compilers use.
  public var description: String { "\(file):\(line):\(column): \(message)" }
}

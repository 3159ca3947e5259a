// SPDX-License-Identifier: GPL-3.0-or-later

/// A trace that cannot be read: which file, which line (1-based), what was expected there and what was
/// found, so a user can open the file at that line and fix or cut it.
public struct TraceError: Error, Equatable, Sendable, CustomStringConvertible {
  public let file: String
  /// 1-based line number; 0 when the file could not be opened or read at all.
  public let line: Int
  /// What the parser wanted, e.g. "a sector number after the RWBS field".
  public let expected: String
  /// The offending text (truncated to 80 characters).
  public let found: String

  public init(file: String, line: Int, expected: String, found: String) {
    self.file = file
    self.line = line
    self.expected = expected
    self.found = found.count > 80 ? String(found.prefix(77)) + "..." : found
  }

  public var description: String {
    line == 0 ? "\(file): \(expected)" : "\(file):\(line): expected \(expected), found \"\(found)\""
  }
}

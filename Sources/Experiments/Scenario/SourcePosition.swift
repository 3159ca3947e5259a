// SPDX-License-Identifier: GPL-3.0-or-later

/// Where a value came from in a scenario file. Kept with every setting that can be overridden, so a
/// combination found impossible only after policies and sweeps are applied is still reported at the
/// line that set it.
public struct SourcePosition: Equatable, Hashable, Sendable, CustomStringConvertible {
  public var line: Int
  public var column: Int

  public init(line: Int, column: Int) {
    self.line = line
    self.column = column
  }

  public var description: String { "\(line):\(column)" }
}

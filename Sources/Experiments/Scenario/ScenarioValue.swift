// SPDX-License-Identifier: GPL-3.0-or-later

/// One decoded setting, as policies and sweep points carry it. A small closed set of shapes, so a
/// sweep point can be printed, compared and used as a report label without knowing its parameter.
public enum ScenarioValue: Equatable, Hashable, Sendable, CustomStringConvertible {
  case integer(Int)
  case number(Double)
  case flag(Bool)
  /// A choice such as `lvm` or `nvme`.
  case name(String)

  public var description: String {
    switch self {
    case .integer(let v): "\(v)"
    case .number(let v): "\(v)"
    case .flag(let v): "\(v)"
    case .name(let v): v
    }
  }
}

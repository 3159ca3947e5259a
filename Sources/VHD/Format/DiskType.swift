// SPDX-License-Identifier: GPL-3.0-or-later

/// Footer disk type (offset 60). Only fixed, dynamic and differencing are in use; other values
/// are kept as read so that `check` can report them.
public enum DiskType: Equatable, Hashable, Sendable, CustomStringConvertible {
  case fixed
  case dynamic
  case differencing
  case other(UInt32)

  public init(rawValue: UInt32) {
    switch rawValue {
    case 2: self = .fixed
    case 3: self = .dynamic
    case 4: self = .differencing
    default: self = .other(rawValue)
    }
  }

  public var rawValue: UInt32 {
    switch self {
    case .fixed: 2
    case .dynamic: 3
    case .differencing: 4
    case .other(let v): v
    }
  }

  /// Dynamic and differencing disks have a header, a BAT and a footer copy at offset 0.
  public var isSparse: Bool { self == .dynamic || self == .differencing }

  public var description: String {
    switch self {
    case .fixed: "fixed"
    case .dynamic: "dynamic"
    case .differencing: "differencing"
    case .other(let v): "unknown(\(v))"
    }
  }
}

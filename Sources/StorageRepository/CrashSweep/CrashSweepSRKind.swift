// SPDX-License-Identifier: GPL-3.0-or-later

/// The SR kinds a crash sweep runs on.
public enum CrashSweepSRKind: String, CaseIterable, Sendable {
  case file
  case lvmThin = "lvm-thin"
  case lvmThick = "lvm-thick"

  /// The name used on the command line and in reports.
  public var name: String { rawValue }

  public var srKind: SRKind {
    switch self {
    case .file: .file
    case .lvmThin: .lvm(.thin)
    case .lvmThick: .lvm(.thick)
    }
  }

  /// The kind called `name`, or `CrashSweepError.unknownSRKind`.
  public init(name: String) throws(CrashSweepError) {
    guard let kind = Self(rawValue: name) else {
      throw .unknownSRKind(name, known: Self.allCases.map(\.name))
    }
    self = kind
  }
}

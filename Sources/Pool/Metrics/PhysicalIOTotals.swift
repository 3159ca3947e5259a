// SPDX-License-Identifier: GPL-3.0-or-later
import VHD

/// Engine I/Os of one kind and direction summed over a run.
public struct IOTotals: Sendable, Equatable {
  public var kind: IOKind
  public var direction: IODirection
  public var count: Int
  public var bytes: UInt64
}

/// The physical I/O a run's guest requests caused: engine I/Os by kind and direction, and the device
/// I/Os they became after placement.
public struct PhysicalIOTotals: Sendable, Equatable {
  /// Engine I/Os by kind and direction (`IOKind.rawValue * 2 + direction.rawValue`).
  public var ios: [IOTotals] = IOKind.allCases.flatMap { k in
    [
      IOTotals(kind: k, direction: .read, count: 0, bytes: 0),
      IOTotals(kind: k, direction: .write, count: 0, bytes: 0),
    ]
  }
  /// Device I/Os after placement (an engine I/O crossing an extent boundary counts once per extent).
  public var deviceIOs = 0

  public init() {}

  /// Engine I/Os of `kind`, both directions.
  public func count(_ kind: IOKind) -> Int {
    ios[Int(kind.rawValue) * 2].count + ios[Int(kind.rawValue) * 2 + 1].count
  }
}

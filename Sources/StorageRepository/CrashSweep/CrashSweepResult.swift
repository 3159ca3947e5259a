// SPDX-License-Identifier: GPL-3.0-or-later

/// What sweeping one operation on one SR kind found: W, the crash points tried (every k in 1...W,
/// clean and torn), how many recovered with nothing wrong, and the crash points with each kind of
/// problem (a point may count in several), with the first few descriptions.
public struct CrashSweepResult: Equatable, Sendable {
  /// One kind of recovery action (uuids replaced by `<uuid>`) and how many crash points logged it.
  public struct RecoveryAction: Equatable, Sendable, Encodable {
    public var action: String
    public var count: Int
  }

  public var operation: CrashSweepOperation
  public var srKind: CrashSweepSRKind
  /// Physical writes and namespace changes of the un-crashed operation (W).
  public var writes: Int
  public var crashPointsTried = 0
  public var recoveredOK = 0
  public var dataMismatches = 0
  public var checkFailures = 0
  public var orphans = 0
  public var recoveryFailures = 0
  /// Crash points at which the crash hit a guest write (the rest hit the SR's own writes).
  public var guestWritesInterrupted = 0
  /// The un-crashed reference run itself failed verification (nil: it passed).
  public var referenceFailure: String?
  /// The first failure descriptions, each naming its crash point.
  public var failures: [String] = []
  /// What recovery did, over all crash points, sorted by action.
  public var recoveryActions: [RecoveryAction] = []

  public init(operation: CrashSweepOperation, srKind: CrashSweepSRKind, writes: Int) {
    self.operation = operation
    self.srKind = srKind
    self.writes = writes
  }

  /// Every crash point was tried and recovered with nothing wrong, and the reference run passed.
  public var passed: Bool {
    referenceFailure == nil && crashPointsTried == 2 * writes && recoveredOK == crashPointsTried
      && dataMismatches == 0 && checkFailures == 0 && orphans == 0 && recoveryFailures == 0
  }
}

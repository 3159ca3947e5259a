// SPDX-License-Identifier: GPL-3.0-or-later

/// The counts a sweep reports both per (operation, SR kind) and in total.
protocol CrashSweepCounts {
  var crashPointsTried: Int { get }
  var recoveredOK: Int { get }
  var dataMismatches: Int { get }
  var checkFailures: Int { get }
  var orphans: Int { get }
  var recoveryFailures: Int { get }
  var passed: Bool { get }
}

/// The JSON keys of `vhdsim faults --json` (snake_case).
enum CrashSweepKey: String, CodingKey {
  case operations, seed, passed, orphans, operation, sr, writes
  case crashPointsTried = "crash_points_tried"
  case recoveredOK = "recovered_ok"
  case dataMismatches = "data_mismatches"
  case checkFailures = "check_failures"
  case recoveryFailures = "recovery_failures"
  case guestWritesInterrupted = "guest_writes_interrupted"
  case referenceFailure = "reference_failure"
  case firstFailures = "first_failures"
  case recoveryActions = "recovery_actions"
}

extension CrashSweepCounts {
  /// Encodes the counts and the verdict.
  func encodeCounts(into c: inout KeyedEncodingContainer<CrashSweepKey>) throws {
    try c.encode(crashPointsTried, forKey: .crashPointsTried)
    try c.encode(recoveredOK, forKey: .recoveredOK)
    try c.encode(dataMismatches, forKey: .dataMismatches)
    try c.encode(checkFailures, forKey: .checkFailures)
    try c.encode(orphans, forKey: .orphans)
    try c.encode(recoveryFailures, forKey: .recoveryFailures)
    try c.encode(passed, forKey: .passed)
  }
}

/// The sweep as `vhdsim faults --json` prints it: the seed, the totals and one object per
/// (operation, SR kind).
extension CrashSweepSummary: Encodable, CrashSweepCounts {
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CrashSweepKey.self)
    try c.encode(results, forKey: .operations)
    try c.encode(seed, forKey: .seed)
    try encodeCounts(into: &c)
  }
}

/// One (operation, SR kind): W, the counts, the guest writes hit, `reference_failure` (null when
/// the reference run passed), the first failure descriptions and the recovery actions.
extension CrashSweepResult: Encodable, CrashSweepCounts {
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CrashSweepKey.self)
    try c.encode(operation.name, forKey: .operation)
    try c.encode(srKind.name, forKey: .sr)
    try c.encode(writes, forKey: .writes)
    try encodeCounts(into: &c)
    try c.encode(guestWritesInterrupted, forKey: .guestWritesInterrupted)
    try c.encode(referenceFailure, forKey: .referenceFailure)
    try c.encode(failures, forKey: .firstFailures)
    try c.encode(recoveryActions, forKey: .recoveryActions)
  }
}

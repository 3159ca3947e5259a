// SPDX-License-Identifier: GPL-3.0-or-later

/// The results of a sweep over several operations and SR kinds, with totals.
public struct CrashSweepSummary: Equatable, Sendable {
  public var seed: UInt64
  public var results: [CrashSweepResult]

  public init(seed: UInt64, results: [CrashSweepResult]) {
    self.seed = seed
    self.results = results
  }

  public var crashPointsTried: Int { results.reduce(0) { $0 + $1.crashPointsTried } }
  public var recoveredOK: Int { results.reduce(0) { $0 + $1.recoveredOK } }
  public var dataMismatches: Int { results.reduce(0) { $0 + $1.dataMismatches } }
  public var checkFailures: Int { results.reduce(0) { $0 + $1.checkFailures } }
  public var orphans: Int { results.reduce(0) { $0 + $1.orphans } }
  public var recoveryFailures: Int { results.reduce(0) { $0 + $1.recoveryFailures } }
  public var passed: Bool { results.allSatisfy(\.passed) }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// Why a crash sweep could not run at all (as opposed to what it found, which it counts).
public enum CrashSweepError: Error, Equatable, Sendable, CustomStringConvertible {
  /// `--operation` named no known operation.
  case unknownOperation(String, known: [String])
  /// `--sr` named no known SR kind.
  case unknownSRKind(String, known: [String])
  /// A configuration field is out of range (field name, why).
  case invalidConfiguration(field: String, reason: String)
  /// The deterministic setup or the un-crashed reference run failed: the sweep has nothing to cut.
  case referenceRunFailed(operation: String, sr: String, reason: String)

  public var description: String {
    switch self {
    case .unknownOperation(let name, let known):
      "unknown operation '\(name)' (known: \(known.joined(separator: ", ")))"
    case .unknownSRKind(let name, let known):
      "unknown SR kind '\(name)' (known: \(known.joined(separator: ", ")))"
    case .invalidConfiguration(let field, let reason):
      "crash sweep configuration: \(field): \(reason)"
    case .referenceRunFailed(let operation, let sr, let reason):
      "\(operation) on \(sr): the un-crashed reference run failed: \(reason)"
    }
  }
}

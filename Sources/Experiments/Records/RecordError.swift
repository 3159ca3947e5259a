// SPDX-License-Identifier: GPL-3.0-or-later

/// A records directory that cannot be read: a missing file, or a line or field that is not what
/// `vhdsim run` writes. Names the file, and the line (1-based) when there is one.
public struct RecordError: Error, Equatable, Sendable, CustomStringConvertible {
  public var file: String
  public var line: Int?
  public var message: String

  public init(file: String, line: Int? = nil, message: String) {
    self.file = file
    self.line = line
    self.message = message
  }

  public var description: String { line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)" }
}

/// Slices that do not add up to one study: `vhdsim merge` refuses rather than average the wrong runs.
public enum MergeError: Error, Equatable, Sendable, CustomStringConvertible {
  case noInput
  /// Two directories hold slices of different scenarios or options (their digests differ).
  case differentScenario(first: String, firstDigest: String, other: String, otherDigest: String)
  /// A run present in two directories (`unit`: what the records count, "run" or, with several SRs
  /// a run, "unit (one SR of a run)").
  case duplicateRun(index: Int, label: String, first: String, second: String, unit: String = "run")
  /// Runs no directory holds: how many, and the labels of the first few.
  case missingRuns(count: Int, total: Int, first: [String], unit: String = "run")
  /// A record whose run index or seed is not the scenario's.
  case foreignRun(directory: String, index: Int, message: String)

  public var description: String {
    switch self {
    case .noInput:
      "merge: no records directory given"
    case .differentScenario(let a, let da, let b, let db):
      "merge: \(b) holds a different scenario or options (digest \(db)) than \(a) (digest \(da))"
    case .duplicateRun(let index, let label, let a, let b, let unit):
      "merge: \(unit) \(index) (\(label)) is in both \(a) and \(b)"
    case .missingRuns(let count, let total, let first, let unit):
      "merge: \(count) of \(total) \(unit == "run" ? "runs" : "units (one SR of a run each)") are missing, first: "
        + first.joined(separator: ", ")
    case .foreignRun(let dir, let index, let message):
      "merge: \(dir): run \(index): \(message)"
    }
  }
}

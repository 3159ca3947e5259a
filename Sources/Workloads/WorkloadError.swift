// SPDX-License-Identifier: GPL-3.0-or-later

/// A workload description that cannot be generated (bad parameters, a region too small): one sentence
/// saying what and why, for the CLI's one-line error.
public struct WorkloadError: Error, Equatable, Sendable, CustomStringConvertible {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// Every leaf-coalesce attempt of a run, and the snapshot-coalesce iterations they made.
public struct LeafCoalesceResults: Sendable, Equatable {
  public var attempts: [LeafAttempt] = []
  /// Snapshot-coalesce iterations over all attempts.
  public var iterations = 0

  public init() {}

  /// Pauses of successful or failed attempts (seconds), for the leaf pause statistics.
  public var pauses: [Double] { attempts.filter { $0.pause > .zero }.map(\.pause.seconds) }
}

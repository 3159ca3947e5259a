// SPDX-License-Identifier: GPL-3.0-or-later

/// How a tapdisk thread collected its completions: the `io_getevents` calls that returned some, and
/// how many they returned. Their ratio says whether the device hands completions back one by one or
/// in batches (docs/simulation.md#reads-alone-what-the-loop-does-that-fio-does-not); the validation
/// sets the model's beside its real loop's.
public struct CollectionCounts: Sendable, Equatable {
  public var calls = 0
  public var completions = 0

  public init(calls: Int = 0, completions: Int = 0) {
    self.calls = calls
    self.completions = completions
  }

  /// Completions per call (0 before any).
  public var perCall: Double { calls > 0 ? Double(completions) / Double(calls) : 0 }
}

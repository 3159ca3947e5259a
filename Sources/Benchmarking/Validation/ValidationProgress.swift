// SPDX-License-Identifier: GPL-3.0-or-later

/// How far `DiskValidation.run` is, reported after every step: one simulated run per case first,
/// then one real run per case and repeat, in rounds. A real run takes seconds to minutes, so a
/// terminal shows which repeat is running as well as the count.
public struct ValidationProgress: Sendable, Equatable {
  /// Steps finished, of `total` (cases × (repeats + 1)).
  public var done: Int
  public var total: Int
  /// The step just finished, e.g. `depth 8, iodepth 1: real, repeat 2 of 5`.
  public var step: String
  /// The repeat (round of real runs, from 1) running now, or the last one when all are done; nil
  /// while the simulated runs go on.
  public var repeatNow: Int?
  public var repeats: Int

  public init(done: Int, total: Int, step: String, repeatNow: Int?, repeats: Int) {
    self.done = done
    self.total = total
    self.step = step
    self.repeatNow = repeatNow
    self.repeats = repeats
  }

  /// `repeat 2 of 5`, or `simulating` before the real rounds.
  public var phase: String { repeatNow.map { "repeat \($0) of \(repeats)" } ?? "simulating" }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// The counter behind simulated power losses: it counts physical writes (one per device write,
/// zero-fill, truncate, or storage namespace change) and says which one the crash hits.
///
/// One schedule can be shared by many `FaultInjectingDevice`s and a `FaultInjectingStorage`, so a
/// sweep counts every write of an operation that touches several files in one sequence.
public final class CrashSchedule {
  /// What happens to one counted write.
  public enum Outcome: Equatable, Sendable {
    /// It goes through whole.
    case proceed
    /// It is the crashing write and does not happen.
    case lost
    /// It is the crashing write and happens in part (see each operation for what part).
    case torn
  }

  /// Writes counted so far, the crashing one included; writes refused after the crash do not count.
  public private(set) var writesSeen = 0
  /// True once the crash has happened.
  public private(set) var hasCrashed = false
  /// `writesSeen` value of the write that crashes, when armed.
  private var crashAt: Int?
  private var tear = false

  public init() {}

  /// Arms the crash: the `writes`-th write from now (1-based) is lost, or torn when `tear` is set.
  public func crashAfterWrites(_ writes: Int, tear: Bool = false) {
    precondition(writes >= 1, "crashAfterWrites counts from 1")
    crashAt = writesSeen + writes
    self.tear = tear
  }

  /// Cancels a pending crash (a crash that already happened stays).
  public func disarm() {
    crashAt = nil
  }

  /// Whether a crash is pending.
  public var isArmed: Bool { crashAt != nil }

  /// Counts one write and says what happens to it; nil when the crash already happened (the write
  /// must be refused and is not counted).
  public func count() -> Outcome? {
    if hasCrashed { return nil }
    writesSeen += 1
    guard writesSeen == crashAt else { return .proceed }
    hasCrashed = true
    crashAt = nil
    return tear ? .torn : .lost
  }
}

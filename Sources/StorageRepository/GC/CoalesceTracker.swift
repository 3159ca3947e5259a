// SPDX-License-Identifier: GPL-3.0-or-later

/// Decides when the snapshot-coalesce loop of a leaf gives up
/// (docs/storage-manager.md#coalesce-tracker, `cleanup.CoalesceTracker`).
///
/// The loop feeds it, once per iteration, the leaf's size before the single snapshot and after the
/// non-leaf coalesce. Three historical rule sets are modelled, because which one a host runs decides
/// whether a busy leaf is abandoned early, late or never:
/// - `v2019` (CP-32204, in its 2022 form that XCP-ng 8.2 ships): every iteration is judged; more than
///   10 iterations end the loop whatever the progress; the bump test runs from iteration 2 with a
///   single grace, so the first bump gives up at once.
/// - `v2024_10` (CA-399644, XCP-ng 8.3): iteration 1 is not judged; progress is "did not grow";
///   an iteration with progress is never judged; 10 iterations, two graces.
/// - `v2025_09` (CP-309718, upstream now): iterations 1–3 are not judged; progress is "did not grow,
///   or is below the mean of every size seen so far"; 20 iterations, two graces.
public struct CoalesceTracker: Equatable, Sendable {
  /// Which rule set (docs/storage-manager.md#coalesce-tracker).
  public enum Variant: String, CaseIterable, Equatable, Sendable {
    case v2019
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case v2024_10
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case v2025_09

    /// Stable name for scenario files and reports: "2019", "2024-10", "2025-09".
    public var name: String {
      switch self {
      case .v2019: "2019"
      case .v2024_10: "2024-10"
      case .v2025_09: "2025-09"
      }
    }

    /// The variant called `name`, or nil.
    public init?(name: String) {
      guard let variant = Self.allCases.first(where: { $0.name == name }) else { return nil }
      self = variant
    }

    /// `MAX_ITERATIONS`: 10 before 2025-09, 20 since.
    public var maxIterations: Int { self == .v2025_09 ? 20 : 10 }
    /// Iterations never judged: none (2019), the first (2024-10), the first three (2025-09).
    public var unjudgedIterations: Int {
      switch self {
      case .v2019: 0
      case .v2024_10: 1
      case .v2025_09: 3
      }
    }
    /// `GRACE_ITERATIONS`: bumps tolerated, counting the one that gives up (1 = give up at once).
    public var graceIterations: Int { self == .v2019 ? 1 : 2 }
  }

  /// Why the loop gave up.
  public enum GiveUpReason: Equatable, Sendable {
    case maxIterations
    case noProgress
    case sizeBump

    /// The reason as SMlog prints it.
    public func message(maxIterations: Int) -> String {
      switch self {
      case .maxIterations: "Max iterations (\(maxIterations)) exceeded"
      case .noProgress: "No progress made for \(CoalesceTracker.maxIterationsNoProgress) iterations"
      case .sizeBump: "Unexpected bump in size, compared to minimum achieved"
      }
    }
  }

  /// One fed iteration, 1-based.
  public struct Iteration: Equatable, Sendable {
    public var index: Int
    public var initialSize: UInt64
    public var finalSize: UInt64

    /// SMlog's history line.
    public var logLine: String {
      "Iteration: \(index) -- Initial size \(initialSize) --> Final size \(finalSize)"
    }
  }

  /// `MAX_ITERATIONS_NO_PROGRESS`: the 4th no-progress iteration (cumulative) gives up.
  public static let maxIterationsNoProgress = 3
  /// `MAX_INCREASE_FROM_MINIMUM`: a size above 1.2 × the smallest seen is a bump.
  public static let maxIncreaseFromMinimum = 1.2

  public let variant: Variant
  /// The iteration limit in force (the variant's unless overridden).
  public let maxIterations: Int
  /// Every iteration fed so far, in order.
  public private(set) var history: [Iteration] = []
  /// No-progress iterations so far (never reset).
  public private(set) var iterationsWithoutProgress = 0
  /// Graces left before a bump gives up.
  public private(set) var graceRemaining: Int
  /// Smallest size seen, before or after any iteration (UInt64.max before the first).
  public private(set) var minimumSize = UInt64.max
  /// Sum of every final size, for the 2025-09 running mean.
  private var finalSizeSum: Double = 0

  /// A fresh tracker; `maxIterations` overrides the variant's `MAX_ITERATIONS` (a policy knob).
  public init(variant: Variant, maxIterations: Int? = nil) {
    self.variant = variant
    self.maxIterations = maxIterations ?? variant.maxIterations
    self.graceRemaining = variant.graceIterations
  }

  /// Iterations fed so far.
  public var iterations: Int { history.count }

  /// Feeds one iteration (leaf size before its snapshot, after its coalesce); a reason means give
  /// up now. Once it has returned a reason, the loop is over: feeding more keeps judging.
  public mutating func abort(previousSize: UInt64, currentSize: UInt64) -> GiveUpReason? {
    history.append(Iteration(index: history.count + 1, initialSize: previousSize, finalSize: currentSize))
    minimumSize = min(minimumSize, previousSize, currentSize)
    finalSizeSum += Double(currentSize)
    let its = history.count
    if its <= variant.unjudgedIterations { return nil }

    let grew = previousSize < currentSize
    let progress: Bool
    switch variant {
    case .v2019: progress = !grew
    case .v2024_10: progress = !grew
    case .v2025_09: progress = !grew || Double(currentSize) < finalSizeSum / Double(its)
    }
    if progress && variant != .v2019 { return nil }
    if !progress { iterationsWithoutProgress += 1 }

    if its > maxIterations { return .maxIterations }
    if iterationsWithoutProgress > Self.maxIterationsNoProgress { return .noProgress }
    // 2019/2022: the bump test skips iteration 1 (the only unjudged one in later variants too).
    if its > 1 && Double(currentSize) > Self.maxIncreaseFromMinimum * Double(minimumSize) {
      graceRemaining -= 1
      if graceRemaining <= 0 { return .sizeBump }
    }
    return nil
  }

  /// What SMlog prints when the loop gives up: the history, the reason, start/final/minimum sizes.
  public func summaryLines(reason: GiveUpReason) -> [String] {
    var lines = ["Aborted coalesce"]
    lines += history.map(\.logLine)
    lines.append(reason.message(maxIterations: maxIterations))
    lines.append("Starting size was         \(history.first?.initialSize ?? 0)")
    lines.append("Final size was            \(history.last?.finalSize ?? 0)")
    lines.append("Minimum size achieved was \(history.isEmpty ? 0 : minimumSize)")
    return lines
  }
}

// SPDX-License-Identifier: GPL-3.0-or-later

/// Decides when the snapshot-coalesce loop of a leaf gives up
/// (docs/storage-manager.md#coalesce-tracker, `cleanup.CoalesceTracker`).
///
/// The loop feeds it, once per iteration, the leaf's size before the single snapshot and after the
/// non-leaf coalesce. Every historical rule set of sm is modelled, because which one a host runs
/// decides whether a busy leaf is abandoned early, late or never
/// (docs/storage-manager.md#tracker-history has the table):
/// - `v2019` (b43525c, CP-32204): every iteration is judged, the first included; more than 10
///   iterations end the loop whatever the progress; the first bump gives up at once.
/// - `v2022` (2885fb8, CA-353437; what XCP-ng 8.2 ships): as 2019, but iteration 1 is exempt from the
///   bump test.
/// - `v2024_08` (0837303, CA-396124): iteration 1 is not judged; a bump uses one of 2 graces; the
///   limits are still tested after an iteration that made progress.
/// - `v2024_10` (87f0554, CA-399644; XCP-ng 8.3): as 2024-08, but an iteration with progress is
///   never judged.
/// - `v2025_09` (527db10, CP-309718; upstream now): iterations 1–3 are not judged; progress is "did
///   not grow, or is below the mean of every final size so far"; 20 iterations.
public struct CoalesceTracker: Equatable, Sendable {
  /// Which rule set (docs/storage-manager.md#tracker-history).
  public enum Variant: String, CaseIterable, Equatable, Sendable {
    case v2019
    case v2022
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case v2024_08
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case v2024_10
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case v2025_09

    /// Stable name for scenario files and reports: "2019", "2022", "2024-08", "2024-10", "2025-09".
    public var name: String {
      switch self {
      case .v2019: "2019"
      case .v2022: "2022"
      case .v2024_08: "2024-08"
      case .v2024_10: "2024-10"
      case .v2025_09: "2025-09"
      }
    }

    /// The variant called `name`, or nil.
    public init?(name: String) {
      guard let variant = Self.allCases.first(where: { $0.name == name }) else { return nil }
      self = variant
    }

    /// The sm commit that introduced the rule set (docs/storage-manager.md#tracker-history).
    public var smCommit: String {
      switch self {
      case .v2019: "b43525c"
      case .v2022: "2885fb8"
      case .v2024_08: "0837303"
      case .v2024_10: "87f0554"
      case .v2025_09: "527db10"
      }
    }

    /// `MAX_ITERATIONS`: 10 before 2025-09, 20 since.
    public var maxIterations: Int { self == .v2025_09 ? 20 : 10 }

    /// Iterations never judged: none (2019, 2022), the first (2024-08, 2024-10), the first three
    /// (2025-09).
    public var unjudgedIterations: Int {
      switch self {
      case .v2019, .v2022: 0
      case .v2024_08, .v2024_10: 1
      case .v2025_09: 3
      }
    }

    /// The first iteration the bump test may run on: 1 in 2019; 2 in 2022 (`its >
    /// GRACE_ITERATIONS` with the constant at 1); 2 later too, iteration 1 being unjudged.
    public var firstBumpTestedIteration: Int { self == .v2019 ? 1 : 2 }

    /// `GRACE_ITERATIONS` as the bump test uses it: the bumps it takes to give up, the last one
    /// counted (1: the first bump gives up). sm's constant is 1 in 2022 but means the iterations
    /// exempt from the bump test there (see ``firstBumpTestedIteration``); since 2024-08 it is 2,
    /// counted down per bump.
    public var bumpsToGiveUp: Int {
      switch self {
      case .v2019, .v2022: 1
      case .v2024_08, .v2024_10, .v2025_09: 2
      }
    }

    /// Whether an iteration that made progress skips the give-up tests (since 2024-10).
    public var progressSkipsJudging: Bool { self == .v2024_10 || self == .v2025_09 }

    /// sm's spelling of "achieved" in the bump reason and the summary: "acheived" until CA-396089
    /// (6ad8fdb, 2024-07-26) corrected it.
    public var achievedSpelling: String {
      switch self {
      case .v2019, .v2022: "acheived"
      case .v2024_08, .v2024_10, .v2025_09: "achieved"
      }
    }
  }

  /// Why the loop gave up.
  public enum GiveUpReason: Equatable, Sendable {
    case maxIterations
    case noProgress
    case sizeBump

    /// The reason as SMlog prints it since CA-396089 (2024-07); ``CoalesceTracker/message(for:)``
    /// gives each variant's own wording.
    public func message(maxIterations: Int) -> String {
      message(maxIterations: maxIterations, achieved: "achieved")
    }

    func message(maxIterations: Int, achieved: String) -> String {
      switch self {
      case .maxIterations: "Max iterations (\(maxIterations)) exceeded"
      case .noProgress: "No progress made for \(CoalesceTracker.maxIterationsNoProgress) iterations"
      case .sizeBump: "Unexpected bump in size, compared to minimum \(achieved)"
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
  /// Bumps still tolerated; the bump that brings this to 0 gives up.
  public private(set) var graceRemaining: Int
  /// Smallest size seen, before or after any iteration (UInt64.max before the first).
  public private(set) var minimumSize = UInt64.max
  /// Sum of every final size, for the 2025-09 running mean.
  private var finalSizeSum: Double = 0

  /// A fresh tracker; `maxIterations` overrides the variant's `MAX_ITERATIONS` (a policy knob).
  public init(variant: Variant, maxIterations: Int? = nil) {
    self.variant = variant
    self.maxIterations = maxIterations ?? variant.maxIterations
    self.graceRemaining = variant.bumpsToGiveUp
  }

  /// Iterations fed so far.
  public var iterations: Int { history.count }

  /// Feeds one iteration (leaf size before its snapshot, after its coalesce); a reason means give
  /// up now. Once it has returned a reason, the loop is over.
  public mutating func abort(previousSize: UInt64, currentSize: UInt64) -> GiveUpReason? {
    history.append(Iteration(index: history.count + 1, initialSize: previousSize, finalSize: currentSize))
    minimumSize = min(minimumSize, previousSize, currentSize)
    finalSizeSum += Double(currentSize)
    let its = history.count
    if its <= variant.unjudgedIterations { return nil }

    let grew = previousSize < currentSize
    let belowMean = variant == .v2025_09 && Double(currentSize) < finalSizeSum / Double(its)
    if grew && !belowMean {
      iterationsWithoutProgress += 1
    } else if variant.progressSkipsJudging {
      return nil
    }

    if its > maxIterations { return .maxIterations }
    if iterationsWithoutProgress > Self.maxIterationsNoProgress { return .noProgress }
    if its >= variant.firstBumpTestedIteration
      && Double(currentSize) > Self.maxIncreaseFromMinimum * Double(minimumSize)
    {
      graceRemaining -= 1
      if graceRemaining == 0 { return .sizeBump }
    }
    return nil
  }

  /// `reason` in this variant's wording.
  public func message(for reason: GiveUpReason) -> String {
    reason.message(maxIterations: maxIterations, achieved: variant.achievedSpelling)
  }

  /// What SMlog prints when the loop gives up (`printReasoning`): the history, the reason,
  /// start/final/minimum sizes, in the variant's wording.
  public func summaryLines(reason: GiveUpReason) -> [String] {
    var lines = ["Aborted coalesce"]
    lines += history.map(\.logLine)
    lines.append(message(for: reason))
    lines.append("Starting size was         \(history.first?.initialSize ?? 0)")
    lines.append("Final size was            \(history.last?.finalSize ?? 0)")
    lines.append("Minimum size \(variant.achievedSpelling) was \(history.isEmpty ? 0 : minimumSize)")
    return lines
  }
}

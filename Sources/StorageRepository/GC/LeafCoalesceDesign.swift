// SPDX-License-Identifier: GPL-3.0-or-later

/// How the GC merges a visible leaf into its only-child-of parent: the designs the simulator
/// compares (docs/storage-manager.md#leaf-coalesce, docs/storage-manager.md#policy-knobs). The
/// storage manager's own is `snapshotCoalesce`; the others are what users ask for or what other
/// hypervisors do.
public enum LeafCoalesceDesign: Equatable, Sendable {
  /// Never leaf-coalesce (SR other-config `leaf-coalesce=false`): chains keep their last base copy.
  case none
  /// Coalesce with the tapdisk paused when the policy allows it; otherwise leave the leaf alone.
  case live(LiveCoalescePolicy)
  /// XCP: single-snapshot and non-leaf coalesce until the policy allows the live step, giving up as
  /// the tracker variant says (docs/storage-manager.md#coalesce-tracker).
  case snapshotCoalesce(LiveCoalescePolicy, CoalesceTracker.Variant)
  /// The offline tool (docs/storage-manager.md#offline-leaf-coalesce): the VM is suspended, the
  /// copy runs forced, the VM resumes.
  case offline
  /// Mirror: copy while the guest runs, re-copy what it dirtied, pause only for the last small pass.
  case mirror(MirrorParameters)

  /// Every design with its default parameters (upstream live policy, the 2025-09 tracker, default
  /// mirror parameters), in a fixed order: the designs `init(name:)` knows.
  public static let all: [LeafCoalesceDesign] = [
    .none, .live(.xcp), .snapshotCoalesce(.xcp, .v2025_09), .offline, .mirror(MirrorParameters()),
  ]

  /// Every design name `init(name:)` accepts, in the order of ``all``.
  public static var names: [String] { all.map(\.name) }

  /// Stable name for scenario files and reports (the one name ↔ design mapping).
  public var name: String {
    switch self {
    case .none: "none"
    case .live: "live"
    case .snapshotCoalesce: "snapshot-coalesce"
    case .offline: "offline"
    case .mirror: "mirror"
    }
  }

  /// The design called `name`, with default parameters (upstream live policy, the 2025-09 tracker,
  /// default mirror parameters).
  public init(name: String) throws(LeafCoalesceDesignError) {
    guard let design = Self.all.first(where: { $0.name == name }) else { throw .unknownDesign(name) }
    self = design
  }

  /// The same design with these parameters, each case taking the ones it has (the live policy, the
  /// tracker variant, the mirror parameters).
  public func with(
    live: LiveCoalescePolicy, tracker: CoalesceTracker.Variant, mirror: MirrorParameters
  ) -> LeafCoalesceDesign {
    switch self {
    case .none: .none
    case .live: .live(live)
    case .snapshotCoalesce: .snapshotCoalesce(live, tracker)
    case .offline: .offline
    case .mirror: .mirror(mirror)
    }
  }

  /// The bytes a `vhd-util coalesce` run adds to the speed log under this design's live test
  /// (docs/storage-manager.md#speed-log); designs without a live test use upstream's.
  public func speedSampleBytes(copied: UInt64, childPhysicalSize: UInt64) -> UInt64 {
    switch self {
    case .live(let policy), .snapshotCoalesce(let policy, _):
      policy.liveTest.speedSampleBytes(copied: copied, childPhysicalSize: childPhysicalSize)
    case .none, .offline, .mirror: copied
    }
  }

  /// Checks the design's parameters; the error names the offending field.
  public func validate() throws(LeafCoalesceDesignError) {
    switch self {
    case .none, .offline: return
    case .live(let policy), .snapshotCoalesce(let policy, _): try policy.validate()
    case .mirror(let parameters): try parameters.validate()
    }
  }
}

/// The mirror design's knobs: how many copy passes run with the guest live, and how small the set
/// dirtied during a pass must be for the final, paused pass.
public struct MirrorParameters: Equatable, Sendable {
  /// Copy passes at most (the first full one included) before pausing whatever is left.
  public var maxPasses: Int
  /// Pause for the final pass once the bytes dirtied during the last pass are below this.
  public var finalDeltaBytes: UInt64

  public init(maxPasses: Int = 8, finalDeltaBytes: UInt64 = 8 * VHDSpace.miB) {
    self.maxPasses = maxPasses
    self.finalDeltaBytes = finalDeltaBytes
  }

  /// After pass `pass` (1-based), during which the guest dirtied `dirtyBytes`: true when the next
  /// pass is the final one, run with the tapdisk paused.
  public func shouldPause(afterPass pass: Int, dirtyBytes: UInt64) -> Bool {
    dirtyBytes < finalDeltaBytes || pass >= maxPasses
  }

  /// `maxPasses` must be at least 1.
  public func validate() throws(LeafCoalesceDesignError) {
    guard maxPasses >= 1 else { throw .invalidParameter(field: "maxPasses", value: "\(maxPasses)") }
  }
}

/// A leaf-coalesce design that cannot be built.
public enum LeafCoalesceDesignError: Error, Equatable, Sendable, CustomStringConvertible {
  /// No design has that name.
  case unknownDesign(String)
  /// A parameter is out of range.
  case invalidParameter(field: String, value: String)

  public var description: String {
    switch self {
    case .unknownDesign(let name):
      "unknown leaf-coalesce design '\(name)' (expected one of: "
        + LeafCoalesceDesign.names.joined(separator: ", ") + ")"
    case .invalidParameter(let field, let value): "leaf-coalesce parameter \(field): invalid value \(value)"
    }
  }
}

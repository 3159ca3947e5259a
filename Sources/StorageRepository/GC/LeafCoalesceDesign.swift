// SPDX-License-Identifier: GPL-3.0-or-later

/// How the GC merges a visible leaf into its only-child-of parent: the designs the simulator
/// compares, each named for what it is (docs/storage-manager.md#leaf-coalesce-designs). `sm` is what
/// the storage manager does; `force` and `offline` are what it does under a VDI switch or the
/// `coalesce-leaf` plugin; `live-only` and `mirror` never existed in sm and are labelled hypothetical
/// wherever they appear.
public enum LeafCoalesceDesign: Equatable, Sendable {
  /// Leaf coalesce off (SR other-config `leaf-coalesce=false`): chains keep their last base copy, the
  /// behaviour the xen-api thread describes.
  case none
  /// sm's `_coalesceLeaf`: snapshot-coalesce rounds watched by the tracker variant while the live test
  /// fails, then the paused live step under its kill timeout (docs/storage-manager.md#leaf-coalesce).
  case sm(LiveCoalescePolicy, CoalesceTracker.Variant)
  /// VDI other-config `leaf-coalesce=force`: the live step at once, with no size or time limit.
  case force
  /// Hypothetical (sm never had it): the live step only when the live test passes, else nothing.
  case liveOnly(LiveCoalescePolicy)
  /// The LVM `coalesce-leaf` plugin (docs/storage-manager.md#offline-leaf-coalesce): the VM
  /// suspended, a forced coalesce, the VM resumed. LVM SRs only.
  case offline(OfflineParameters)
  /// Hypothetical (not in sm): copy while the guest runs, re-copy what it dirtied, pause only for the
  /// last small pass.
  case mirror(MirrorParameters)

  /// Every design with its default parameters (upstream live policy, the 2025-09 tracker, default
  /// suspend/resume and mirror parameters), in a fixed order: the designs `init(name:)` knows.
  public static let all: [LeafCoalesceDesign] = [
    .none, .sm(.xcp, .v2025_09), .force, .liveOnly(.xcp), .offline(OfflineParameters()),
    .mirror(MirrorParameters()),
  ]

  /// Every design name `init(name:)` accepts, in the order of ``all``.
  public static var names: [String] { all.map(\.name) }

  /// Names earlier releases used, with the design each became: a scenario that still says them gets
  /// an error that names the replacement instead of a silent change of meaning.
  public static let renamed: [String: String] = ["snapshot-coalesce": "sm", "live": "live-only"]

  /// Stable name for scenario files and reports (the one name ↔ design mapping).
  public var name: String {
    switch self {
    case .none: "none"
    case .sm: "sm"
    case .force: "force"
    case .liveOnly: "live-only"
    case .offline: "offline"
    case .mirror: "mirror"
    }
  }

  /// True for the designs sm never had (`live-only`, `mirror`): reports label them so.
  public var isHypothetical: Bool {
    switch self {
    case .liveOnly, .mirror: true
    case .none, .sm, .force, .offline: false
    }
  }

  /// The design called `name`, with default parameters.
  public init(name: String) throws(LeafCoalesceDesignError) {
    if let new = Self.renamed[name] { throw .renamedDesign(old: name, new: new) }
    guard let design = Self.all.first(where: { $0.name == name }) else { throw .unknownDesign(name) }
    self = design
  }

  /// The same design with these parameters, each case taking the ones it has (the live policy, the
  /// tracker variant, the suspend/resume times, the mirror parameters).
  public func with(
    live: LiveCoalescePolicy, tracker: CoalesceTracker.Variant, offline: OfflineParameters,
    mirror: MirrorParameters
  ) -> LeafCoalesceDesign {
    switch self {
    case .none: .none
    case .sm: .sm(live, tracker)
    case .force: .force
    case .liveOnly: .liveOnly(live)
    case .offline: .offline(offline)
    case .mirror: .mirror(mirror)
    }
  }

  /// The live policy the design's live step runs under: its own, or sm's with `leaf-coalesce=force`
  /// for `force` and `offline` (no limit, no timeout); nil for the designs without a live step.
  public var livePolicy: LiveCoalescePolicy? {
    switch self {
    case .sm(let policy, _), .liveOnly(let policy): policy
    case .force, .offline: LiveCoalescePolicy(force: true)
    case .none, .mirror: nil
    }
  }

  /// The bytes a `vhd-util coalesce` run adds to the speed log under this design's live test
  /// (docs/storage-manager.md#speed-log); designs without a live test use upstream's.
  public func speedSampleBytes(copied: UInt64, childPhysicalSize: UInt64) -> UInt64 {
    (livePolicy ?? .xcp).liveTest.speedSampleBytes(copied: copied, childPhysicalSize: childPhysicalSize)
  }

  /// Checks the design's parameters; the error names the offending field.
  public func validate() throws(LeafCoalesceDesignError) {
    switch self {
    case .none, .force: return
    case .sm(let policy, _), .liveOnly(let policy): try policy.validate()
    case .offline(let parameters): try parameters.validate()
    case .mirror(let parameters): try parameters.validate()
    }
  }

  /// Checks that the design exists on an SR of `kind`: `offline` is the LVM plugin's.
  public func validate(for kind: SRKind) throws(LeafCoalesceDesignError) {
    if case .offline = self, kind == .file { throw .offlineNeedsLVM }
  }
}

/// A leaf-coalesce design that cannot be built.
public enum LeafCoalesceDesignError: Error, Equatable, Sendable, CustomStringConvertible {
  /// No design has that name.
  case unknownDesign(String)
  /// A name an earlier release used; the error names the design it became.
  case renamedDesign(old: String, new: String)
  /// A parameter is out of range.
  case invalidParameter(field: String, value: String)
  /// `offline` on a file SR: the `coalesce-leaf` plugin exists for LVM SRs only.
  case offlineNeedsLVM

  public var description: String {
    switch self {
    case .unknownDesign(let name):
      "unknown leaf-coalesce design '\(name)' (expected one of: "
        + LeafCoalesceDesign.names.joined(separator: ", ") + ")"
    case .renamedDesign(let old, let new):
      "leaf-coalesce design '\(old)' is now called '\(new)' (docs/storage-manager.md#leaf-coalesce-designs)"
    case .invalidParameter(let field, let value): "leaf-coalesce parameter \(field): invalid value \(value)"
    case .offlineNeedsLVM:
      "leaf-coalesce design 'offline' is sm's coalesce-leaf plugin, which exists for LVM SRs only (use sr: lvm)"
    }
  }
}

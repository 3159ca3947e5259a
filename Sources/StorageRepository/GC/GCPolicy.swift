// SPDX-License-Identifier: GPL-3.0-or-later

/// The knobs of GC planning. The defaults are upstream `cleanup.py`; the alternatives are the
/// variants the simulator compares (docs/storage-manager.md#policy-knobs).
public struct GCPolicy: Equatable, Sendable {
  /// Order of non-leaf coalesce candidates.
  public enum CandidateOrder: Equatable, Sendable {
    /// XCP: group by the height of the candidate's whole tree, tallest first; scan order within a height.
    case tallestTreeFirst
    /// Scan order, ignoring trees.
    case discovery
    /// Fewest allocated blocks first (cheapest copy first); scan order among equals.
    case smallestFirst
  }

  public var candidateOrder: CandidateOrder
  /// SR other-config `coalesce=false`: no coalescing at all (garbage is still collected).
  public var coalesce: Bool
  /// SR other-config `leaf-coalesce=false`.
  public var leafCoalesce: Bool
  /// XCP-ng's variant of `getAllPrunable`: an interior node is garbage only if it is hidden too
  /// (upstream does not test it).
  public var interiorGarbageMustBeHidden: Bool

  public init(
    candidateOrder: CandidateOrder = .tallestTreeFirst, coalesce: Bool = true, leafCoalesce: Bool = true,
    interiorGarbageMustBeHidden: Bool = false
  ) {
    self.candidateOrder = candidateOrder
    self.coalesce = coalesce
    self.leafCoalesce = leafCoalesce
    self.interiorGarbageMustBeHidden = interiorGarbageMustBeHidden
  }

  /// Upstream xapi-project/sm.
  public static let xcp = GCPolicy()
}

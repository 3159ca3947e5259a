// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation
import StorageRepository

/// How a pool's garbage collector behaves (docs/storage-manager.md#gc-daemon, docs/storage-manager.md#policy-knobs).
public struct GCSettings: Sendable {
  /// One GC operation at a time per SR (XCP), or one per VHD tree in parallel (xcp-ng#341's request).
  /// Raw values are the scenario files' names.
  public enum Concurrency: String, Sendable, Equatable, CaseIterable {
    case perSR = "per-sr"
    case perTree = "per-tree"
  }

  /// No GC at all when false (kicks are counted, nothing runs).
  public var enabled: Bool
  /// `GCPAUSE_DEFAULT_SLEEP`: wait this long after a kick whose first scan found work (0: none).
  public var quietPeriod: SimTime
  /// The host has just booted: its first GC run finds no `gc_init` marker and skips the quiet period
  /// (docs/storage-manager.md#quiet-period); later runs honour it.
  public var firstRunAfterBoot: Bool
  /// xapi's background scanner: scan the SR (and so kick the GC) this often; nil: never.
  public var autoScanInterval: SimTime?
  public var concurrency: Concurrency
  /// Candidate order and the coalesce / leaf-coalesce switches.
  public var policy: GCPolicy
  /// Largest copy of one coalesce step: a step's I/O is one request on the disk FIFO, so this bounds
  /// how long guest I/O waits behind the GC.
  public var maxCopyBytes: Int
  /// Fixed cost charged before every non-leaf coalesce, snapshot-coalesce iterations included
  /// (vhd-util start-up, checks, xapi calls): the c of the fixed point
  /// (docs/storage-manager.md#fixed-point).
  public var operationOverhead: SimTime
  /// The fixed costs around copies (process starts, xapi calls, tapdisk control, other hosts) and
  /// whether scans and checks read metadata through the disk (docs/storage-manager.md#per-round-costs).
  public var costs: GCCosts
  /// Whether attaching the SR kicks the GC (the master's SR attach scans, which kicks it).
  public var kickOnAttach: Bool
  /// How a leaf is merged into its parent (`none`: never, the 2010 behaviour).
  public var leafDesign: LeafCoalesceDesign

  public init(
    enabled: Bool = true, quietPeriod: SimTime = .seconds(300), firstRunAfterBoot: Bool = false,
    autoScanInterval: SimTime? = nil,
    concurrency: Concurrency = .perSR, policy: GCPolicy = .xcp, maxCopyBytes: Int = 4 << 20,
    operationOverhead: SimTime = .zero, costs: GCCosts = GCCosts(), kickOnAttach: Bool = true,
    leafDesign: LeafCoalesceDesign = .none
  ) {
    self.enabled = enabled
    self.quietPeriod = quietPeriod
    self.firstRunAfterBoot = firstRunAfterBoot
    self.autoScanInterval = autoScanInterval
    self.concurrency = concurrency
    self.policy = policy
    self.maxCopyBytes = maxCopyBytes
    self.operationOverhead = operationOverhead
    self.costs = costs
    self.kickOnAttach = kickOnAttach
    self.leafDesign = leafDesign
  }
}

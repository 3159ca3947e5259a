// SPDX-License-Identifier: GPL-3.0-or-later
import Pool
import StorageRepository

extension Scenario {
  /// What kind of runs a scenario makes.
  public enum Kind: Equatable, Sendable {
    /// A fixed chain, no SR operations.
    case plain
    /// A managed SR: VDIs are created, snapshotted and deleted by the storage repository model and a
    /// garbage collector runs (a `gc` or `snapshots` section is present).
    case managed
    /// Snapshots checked for crash consistency (needs `device: memory`, since the metadata-only
    /// device does not keep data to compare).
    case consistencyCheck
  }

  /// A managed-SR scenario.
  public var managed: Bool { kind == .managed }
  /// A consistency-check scenario.
  public var consistencyCheck: Bool { kind == .consistencyCheck }

  // MARK: Combinations

  /// The settings of (policy, sweep point), with where each non-default value was written.
  func resolve(policy: Policy, point: [SweepAssignment]) -> (
    ScenarioSettings, [ScenarioParameter: SourcePosition]
  ) {
    var settings = base
    var positions = basePositions
    for o in policy.overrides {
      settings[o.parameter] = o.value
      positions[o.parameter] = o.position
    }
    for a in point {
      settings[a.parameter] = a.value
      positions[a.parameter] = a.position
    }
    return (settings, positions)
  }

  private func error(_ at: SourcePosition, _ message: String) -> ScenarioError {
    ScenarioError(file: file, line: at.line, column: at.column, message: message)
  }

  /// Combinations no run could honour, found once policies and sweep points are applied; reported at
  /// the value that made them impossible (the most specific one: sweep, then policy, then base).
  func checkCombinations(consistencyPosition: SourcePosition?) throws(ScenarioError) {
    let vmCount = vms.reduce(0) { $0 + $1.count }
    if base.srOptions.count > vmCount {
      throw error(
        basePositions[.sr] ?? SourcePosition(line: 1, column: 1),
        "sr.count \(base.srOptions.count) is more than the \(vmCount) VMs: every SR needs at least one VM")
    }
    if managed {
      for policy in policies {
        for index in 0..<sweep.pointCount {
          let (s, at) = resolve(policy: policy, point: sweep.point(index))
          if s.depth != 1 && snapshots != nil, let p = at[.chainDepth] {
            throw error(
              p,
              "a managed SR with snapshots starts from one VDI per VM: chain.depth must be 1, found \(s.depth)"
            )
          }
          if let gib = s.capacityGiB, UInt64(gib) << 30 > s.diskModel.capacityBytes,
            let p = at[.srCapacityGiB]
          {
            throw error(p, "sr.capacity_gib \(gib) exceeds the disk's capacity")
          }
          if s.gc.enabled, case .offline = s.gc.leafCoalesce, s.srKind == .file {
            throw error(
              at[.gcLeafCoalesce] ?? at[.sr] ?? SourcePosition(line: 1, column: 1),
              "gc.leaf_coalesce: offline is sm's coalesce-leaf plugin, which exists for LVM SRs only "
                + "(set sr: lvm)")
          }
        }
      }
    }
    for axis in sweep.axes {
      for policy in policies {
        if let o = policy.overrides.first(where: { $0.parameter == axis.parameter }) {
          throw error(
            axis.position,
            "sweep: \(axis.parameter.rawValue) is also overridden by policy \"\(policy.name)\" at "
              + "\(o.position); a parameter is either swept or set per policy")
        }
      }
    }
    for policy in policies {
      for index in 0..<sweep.pointCount {
        let (s, at) = resolve(policy: policy, point: sweep.point(index))
        if consistencyCheck && s.device == .metadata {
          throw error(
            at[.device] ?? consistencyPosition!,
            "consistency_check needs device: memory (the metadata device keeps no data to compare)")
        }
        if s.guest.resolution == .epoch {
          try checkEpoch(s, at: at)
        }
        for group in vms {
          switch group.workload {
          case .builtIn(let spec) where UInt64(spec.largestRequestBytes) > s.virtualSize:
            throw error(
              at[.chainSizeMiB] ?? group.position,
              "a \(spec.largestRequestBytes >> 10) KiB request does not fit a \(s.sizeMiB) MiB disk")
          case .preset where s.rate != nil:
            throw error(
              at[.vmsRate] ?? group.position, "vms.rate applies to built-in workloads, not to a preset")
          case .trace where s.rate != nil:
            throw error(
              at[.vmsRate] ?? group.position, "vms.rate applies to built-in workloads, not to a trace")
          case .builtIn(let spec) where s.rate != nil && spec.isClosedLoop:
            throw error(
              at[.vmsRate] ?? group.position,
              "vms.rate sets an open-loop rate; this VM group has an iodepth (closed loop)")
          case .preset(let p) where (p == .yumInstall) && s.sizeMiB < 1024:
            throw error(
              at[.chainSizeMiB] ?? group.position,
              "workload preset \(p.rawValue) needs chain.size_mib >= 1024, found \(s.sizeMiB)")
          default: break
          }
        }
      }
    }
  }
}

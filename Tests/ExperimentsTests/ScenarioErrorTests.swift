// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Testing

/// Every kind of mistake in a scenario file is reported at the exact line and column, with what was
/// expected there.
@Suite struct ScenarioErrorTests {
  /// A valid scenario; each test changes one line of it.
  static let valid = """
    name: t
    duration: 2
    chain:
      depth: 4
    vms:
      - count: 2
        workload:
          iodepth: 8
    """

  /// The valid scenario with one VM (a consistency check runs exactly one).
  static let oneVM = valid.replacingOccurrences(of: "count: 2", with: "count: 1")

  func error(_ yaml: String) -> String {
    do {
      _ = try Scenario.parse(yaml: yaml, file: "s.yaml")
      return "no error"
    } catch { return error.description }
  }

  @Test func validBaselineParses() throws {
    let s = try Scenario.parse(yaml: Self.valid, file: "s.yaml")
    #expect(s.runCount == 1)
    #expect(s.runs()[0].vms.count == 2)
  }

  @Test func unknownKey() {
    #expect(
      error(Self.valid.replacingOccurrences(of: "  depth: 4", with: "  depth: 4\n  dept: 5"))
        == "s.yaml:5:3: unknown key \"dept\" in chain; expected one of: "
        + "depth, size_mib, base_fill, writes_per_snapshot, write_pattern"
    )
    #expect(
      error("colour: red\n" + Self.valid)
        == "s.yaml:1:1: unknown key \"colour\"; expected one of: name, description, seed, replicates, "
        + "duration, sr, disk, device, consistency_check, chain, engine, vms, policies, sweep, gc, pool, "
        + "snapshots, quick, warmup, report, resolution, epoch")
    #expect(
      error("sr: {kind: lvm, size_gib: 3}\n" + Self.valid)
        == "s.yaml:1:17: unknown key \"size_gib\" in sr; expected one of: kind, provisioning, capacity_gib, "
        + "count")
    #expect(
      error(Self.valid + "\nquick: {vms: 1}")
        == "s.yaml:9:9: unknown key \"vms\" in quick; expected one of: duration, replicates, vm_count, "
        + "snapshots, sweep")
    #expect(
      error(Self.valid + "\nsnapshots: {script: {count: 2, every: 1, keep: 1}}")
        == "s.yaml:9:42: unknown key \"keep\" in snapshots.script; expected one of: count, start, every, "
        + "delete_all_at")
    #expect(
      error(Self.valid + "\nsnapshots: {backups: {every: 1}}")
        == "s.yaml:9:22: missing key \"keep\" in snapshots.backups")
    #expect(
      error(Self.valid + "\nsnapshots: {kind: double}")
        == "s.yaml:9:12: snapshots: expected a `script` or `backups` (or both)")
  }

  @Test func wrongType() {
    #expect(
      error(Self.valid.replacingOccurrences(of: "depth: 4", with: "depth: \"4\""))
        == "s.yaml:4:10: chain.depth: expected an integer in 1...30, found \"4\"")
    #expect(
      error(Self.valid.replacingOccurrences(of: "duration: 2", with: "duration: [2]"))
        == "s.yaml:2:11: duration: expected a number of seconds in (0, 31536000] (one year), found a sequence"
    )
    #expect(
      error(Self.valid.replacingOccurrences(of: "iodepth: 8", with: "iodepth: yes"))
        == "s.yaml:8:16: vms[0].workload.iodepth: expected an integer in 1...4096, found \"yes\"")
  }

  @Test func outOfRange() {
    #expect(
      error(Self.valid.replacingOccurrences(of: "depth: 4", with: "depth: 31"))
        == "s.yaml:4:10: chain.depth: expected an integer in 1...30, found 31")
    #expect(
      error(Self.valid.replacingOccurrences(of: "duration: 2", with: "duration: 0"))
        == "s.yaml:2:11: duration: expected a number of seconds in (0, 31536000] (one year), found 0")
    #expect(
      error("replicates: 1001\n" + Self.valid)
        == "s.yaml:1:13: replicates: expected an integer in 1...1000, found 1001")
  }

  @Test func newKeysOutOfRange() {
    #expect(
      error(Self.valid + "\ngc: {max_copy_mib: 0}")
        == "s.yaml:9:20: gc.max_copy_mib: expected a number of MiB in 1...1024, found 0")
    #expect(
      error(Self.valid + "\ngc: {quiet_period: -1}")
        == "s.yaml:9:20: gc.quiet_period: expected a number of seconds in [0, 86400], found -1")
    #expect(
      error(Self.valid + "\ngc: {concurrency: per-vdi}")
        == "s.yaml:9:19: gc.concurrency: expected one of per-sr, per-tree, found \"per-vdi\"")
    #expect(
      error(Self.valid + "\ngc: {leaf_coalesce: lazy}")
        == "s.yaml:9:21: gc.leaf_coalesce: expected one of none, sm, force, live-only, offline, mirror, "
        + "found \"lazy\"")
    #expect(
      error(Self.valid + "\nsweep: {gc.candidate_order: [discovery, newest-first]}")
        == "s.yaml:9:41: sweep.gc.candidate_order[1]: expected one of tallest-tree-first, discovery, "
        + "smallest-first, found \"newest-first\"")
    #expect(
      error(Self.valid + "\ngc: {enabled: 1}")
        == "s.yaml:9:15: gc.enabled: expected true or false, found \"1\"")
    #expect(
      error("sr: {kind: lvm, provisioning: fat}\ngc: {}\n" + Self.valid)
        == "s.yaml:1:31: sr.provisioning: expected one of thin, thick, found \"fat\"")
    #expect(
      error("sr: {kind: lvm, capacity_gib: 0}\ngc: {}\n" + Self.valid)
        == "s.yaml:1:31: sr.capacity_gib: expected a number of GiB in 1...1048576, found 0")
    #expect(
      error(Self.valid + "\nsweep: {vms.rate: [0]}")
        == "s.yaml:9:20: sweep.vms.rate[0]: expected a rate in requests/s, > 0 and ≤ 10000000, found 0")
    #expect(
      error(Self.valid + "\nsnapshots: {script: {count: 0, every: 1}}")
        == "s.yaml:9:29: snapshots.script.count: expected a number of snapshots in 1...1000, found 0")
    #expect(
      error(Self.valid + "\nsnapshots: {script: {count: 1, every: 0}}")
        == "s.yaml:9:39: snapshots.script.every: expected a number of seconds in (0, 31536000], found 0")
    #expect(
      error(Self.valid + "\nquick: {vm_count: 0}")
        == "s.yaml:9:19: quick.vm_count: expected a number of VMs in 1...1024, found 0")
    #expect(
      error(Self.valid + "\nquick: {duration: 0}")
        == "s.yaml:9:19: quick.duration: expected a number of seconds in (0, 31536000] (one year), found 0")
  }

  @Test func impossibleCombination() {
    #expect(
      error(Self.valid + "\n      rate: 100")
        == "s.yaml:9:7: vms[0].workload: iodepth and rate cannot both be given (a closed loop keeps "
        + "iodepth requests outstanding; an open loop arrives at rate per second)")
    #expect(
      error(Self.oneVM + "\nconsistency_check: true")
        == "s.yaml:9:20: consistency_check needs device: memory "
        + "(the metadata device keeps no data to compare)"
    )
    #expect(
      error(Self.oneVM + "\nconsistency_check: true\ndevice: memory\nsweep:\n  device: [memory, metadata]")
        == "s.yaml:12:20: consistency_check needs device: memory "
        + "(the metadata device keeps no data to compare)"
    )
    #expect(
      error(Self.valid + "\npolicies:\n  - name: p\n    chain: {depth: 2}\nsweep:\n  chain.depth: [1, 2]")
        == "s.yaml:13:3: sweep: chain.depth is also overridden by policy \"p\" at 11:20; a parameter is "
        + "either swept or set per policy")
  }

  @Test func diskCapacity() throws {
    // A bigger LUN of the same model: the pool's device grows with it.
    let s = try Scenario.parse(
      yaml: Self.valid + "\ndisk: {preset: iscsi, capacity_gib: 32768}", file: "s.yaml")
    #expect(s.runs()[0].settings.diskModel.capacityBytes == 32768 << 30)
    #expect(
      error(Self.valid + "\ndisk: {preset: iscsi, capacity_gib: 0}")
        == "s.yaml:9:37: disk.capacity_gib: expected a number of GiB in 1...1048576, found 0")
    #expect(
      error(Self.oneVM + "\nconsistency_check: true\ndevice: memory\ndisk: {preset: nvme, capacity_gib: 64}")
        == "s.yaml:11:36: disk.capacity_gib: a consistency check runs on the preset disk as it is")
  }

  @Test func badYAMLSyntax() {
    #expect(
      error(Self.valid.replacingOccurrences(of: "  depth: 4", with: "  depth: [4"))
        == "s.yaml:5:4: bad YAML: did not find expected ',' or ']' (while parsing a flow sequence at 4:10)")
    #expect(
      error(Self.valid.replacingOccurrences(of: "duration: 2", with: "duration: 2\n\tseed: 3"))
        == "s.yaml:3:1: bad YAML: found a tab character that violates indentation "
        + "(while scanning a plain scalar at 2:11)"
    )
    #expect(error("") == "s.yaml:1:1: expected a mapping of scenario keys, found an empty file")
  }

  @Test func missingRequiredKey() {
    #expect(
      error(Self.valid.replacingOccurrences(of: "name: t\n", with: ""))
        == "s.yaml:1:1: missing key \"name\"")
  }
}

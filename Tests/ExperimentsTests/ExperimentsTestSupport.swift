// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation

/// A small scenario with two policies and a two-point depth sweep (8 short runs), fresh temporary
/// directories, and file comparison that reports the first differing line.
enum Fixture {
  static let yaml = """
    name: shardy
    seed: 9
    replicates: 2
    duration: 0.05
    disk: {preset: nvme}
    chain: {depth: 2, size_mib: 64, writes_per_snapshot: 16}
    vms:
      - workload: {pattern: random, read_fraction: 0.7, block_size_kib: 4, iodepth: 4}
    policies:
      - name: batmap-on
        engine: {batmap: true}
      - name: batmap-off
        engine: {batmap: false}
    sweep:
      chain.depth: [2, 3]
    """

  static func plan(samples: Bool = false, seed: UInt64? = nil) throws -> RunPlan {
    try RunPlan(source: yaml, file: "shardy.yaml", options: .init(seed: seed, jobs: 2, samples: samples))
  }

  static func temporaryDirectory(_ tag: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "vhdsim-\(tag)-\(UUID().uuidString)"
    ).path
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
  }

  static func read(_ dir: String, _ name: String) throws -> String {
    try String(contentsOfFile: (dir as NSString).appendingPathComponent(name), encoding: .utf8)
  }

  /// nil when equal; otherwise the first differing line of each.
  static func firstDifference(_ a: String, _ b: String) -> String? {
    guard a != b else { return nil }
    let la = a.split(separator: "\n", omittingEmptySubsequences: false)
    let lb = b.split(separator: "\n", omittingEmptySubsequences: false)
    for i in 0..<max(la.count, lb.count) {
      let x = i < la.count ? String(la[i]) : "<end>"
      let y = i < lb.count ? String(lb[i]) : "<end>"
      if x != y { return "line \(i + 1): \(x) | \(y)" }
    }
    return "same lines, different bytes"
  }

  /// The package root (for Scenarios/, notebooks-data/ and the built binary).
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
}

/// A managed-SR scenario of two SRs per run (3 VMs: VMs 0 and 2 on SR 0, VM 1 on SR 1) and two
/// leaf-coalesce policies, one replicate: 2 runs, 4 units.
enum FleetFixture {
  static let yaml = """
    name: fleet
    seed: 5
    duration: 30
    sr: {kind: file, count: 2}
    disk: {preset: nvme}
    device: metadata
    chain: {depth: 1, size_mib: 128, base_fill: 0.5}
    vms:
      - count: 3
        workload: {pattern: random, read_fraction: 0.3, block_size_kib: 64, rate: 40}
    snapshots:
      kind: double
      script: {count: 3, start: 2, every: 3, delete_all_at: 12}
    gc:
      quiet_period: 0
    policies:
      - name: none
        gc: {leaf_coalesce: none}
      - name: sm
        gc: {leaf_coalesce: sm}
    """

  static func plan(_ text: String = yaml, jobs: Int = 2) throws -> RunPlan {
    try RunPlan(source: text, file: "fleet.yaml", options: .init(jobs: jobs))
  }
}

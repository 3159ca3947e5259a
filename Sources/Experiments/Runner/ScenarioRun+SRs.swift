// SPDX-License-Identifier: GPL-3.0-or-later
import Simulation

/// A managed-SR run of several SRs (`sr.count`) is simulated as independent units, one per SR: each
/// its own pool on its own disk, with its share of the VMs and its own random streams. The unit is
/// what runners, shards and records handle; `RunSet` combines a run's units into the run.
extension ScenarioRun {
  /// SRs the run simulates: `sr.count` for a managed SR, else 1.
  public var srCount: Int { managed ? settings.srOptions.count : 1 }

  /// A seed of SR `k`'s: `base` itself for SR 0 (so a one-SR run is exactly what it was before SRs
  /// could be several), else derived from (`base`, `k`) alone, so SR k's streams do not depend on how
  /// many other SRs the run has.
  public static func seed(_ base: UInt64, sr k: Int) -> UInt64 {
    k == 0 ? base : RandomStream.seed(scenario: String(base), replication: k, stream: "sr")
  }

  /// The unit of SR `k`: VM i of the run lives on SR i mod ``srCount`` (round-robin, so every SR gets
  /// ⌊V/N⌋ or ⌈V/N⌉ VMs in file order); the pool's and the chain's seeds are SR k's (``seed(_:sr:)``).
  /// VMs keep their own seeds, which depend on the VM's position in the run only.
  public func unit(sr k: Int) -> ScenarioRun {
    var u = self
    u.sr = k
    guard srCount > 1 else { return u }
    u.vms = vms.filter { $0.index % srCount == k }
    u.seed = Self.seed(seed, sr: k)
    u.pool.seed = u.seed
    u.pool.chain.seed = Self.seed(pool.chain.seed, sr: k)
    return u
  }

  /// Every unit of the run, SR by SR.
  public var units: [ScenarioRun] { (0..<srCount).map(unit(sr:)) }
}

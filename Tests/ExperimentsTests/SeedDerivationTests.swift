// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Simulation
import Testing

/// A run's seed is a function of (scenario name, base seed, policy, replicate) only: computing the runs
/// in any order, or one at a time, gives the same seeds.
@Suite struct SeedDerivationTests {
  static let yaml = """
    name: order
    seed: 7
    replicates: 5
    chain: {depth: 3}
    vms: [{count: 2, workload: {rate: 500}}]
    policies: [{name: on}, {name: off, engine: {batmap: false}}]
    sweep: {chain.depth: [2, 4, 8]}
    """

  @Test func independentOfRunOrder() throws {
    let s = try Scenario.parse(yaml: Self.yaml, file: "order.yaml")
    let forward = s.runs()
    #expect(forward.count == 30)
    var reversed: [String: UInt64] = [:]
    for p in s.policies.indices.reversed() {
      for r in (0..<s.replicates).reversed() {
        for point in (0..<s.sweep.pointCount).reversed() {
          let run = s.run(policy: p, point: point, replicate: r)
          reversed[run.label] = run.seed
        }
      }
    }
    for run in forward { #expect(reversed[run.label] == run.seed) }
    // Only (policy, replicate) matter: the sweep points of one replicate share random numbers.
    #expect(Set(forward.map(\.seed)).count == 2 * 5)
    #expect(Set(forward.flatMap { $0.vms.map(\.seed) }).count == 2 * 5 * 2)
  }

  @Test func derivedThroughRandomStream() throws {
    let s = try Scenario.parse(yaml: Self.yaml, file: "order.yaml")
    let run = s.run(policy: 1, point: 2, replicate: 3)
    #expect(run.seed == RandomStream.seed(scenario: "order#7", replication: 3, stream: "off/pool"))
    #expect(run.pool.seed == run.seed)
    #expect(
      run.pool.chain.seed == RandomStream.seed(scenario: "order#7", replication: 3, stream: "off/chain"))
  }

  @Test func baseSeedAndNameChangeEverySeed() throws {
    let a = try Scenario.parse(yaml: Self.yaml, file: "a").runs().map(\.seed)
    let b = try Scenario.parse(
      yaml: Self.yaml.replacingOccurrences(of: "seed: 7", with: "seed: 8"), file: "b"
    )
    .runs().map(\.seed)
    let c = try Scenario.parse(
      yaml: Self.yaml.replacingOccurrences(of: "name: order", with: "name: other"), file: "c"
    )
    .runs().map(\.seed)
    #expect(Set(a).isDisjoint(with: b))
    #expect(Set(a).isDisjoint(with: c))
  }
}

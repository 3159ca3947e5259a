// SPDX-License-Identifier: GPL-3.0-or-later
import Testing

@testable import Benchmarking

/// `vhdsim bench`'s progress counts the suite's steps from the plan the suite runs (it used to
/// divide by a fixed 8 and passed 100 %).
@Suite struct RegressionSuitePlanTests {
  @Test func theQuickSuiteLeavesThePeersOut() {
    let quick = RegressionSuite.plan(.init(quick: true))
    #expect(
      Array(quick.prefix(7)) == [
        .reads(depth: 1), .reads(depth: 4), .reads(depth: 16), .allocatingWrites, .exportAndCoalesce, .kernel,
        .pool,
      ])
    #expect(Array(quick.dropFirst(7)) == ScenarioKPIs.scenarios.map { .scenario($0) })
    #expect(RegressionSuite.steps(.init(quick: true)) == 7 + ScenarioKPIs.scenarios.count)
    #expect(!quick.contains(.kernelBesideSimPy) && !quick.contains(.exportBesideQemuImg))
  }

  @Test func theFullSuiteEndsWithThePeers() {
    let full = RegressionSuite.plan(.init(quick: false))
    #expect(full.last == .kernelBesideSimPy)
    #expect(full.contains(.exportBesideQemuImg) == (findExecutable("qemu-img") != nil))
    #expect(RegressionSuite.steps(.init(quick: false)) == full.count)
    #expect(Set(full.map(\.title)).count == full.count)
  }
}

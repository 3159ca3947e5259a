// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Pool
import StorageRepository
import Testing

/// Scenario choices are decoded once into typed values; names round-trip through the one mapping.
@Suite struct ScenarioChoiceTests {
  @Test func leafCoalesceNamesRoundTrip() throws {
    for design in LeafCoalesceDesign.all { #expect(try LeafCoalesceDesign(name: design.name) == design) }
    #expect(LeafCoalesceDesign.names == ["none", "sm", "force", "live-only", "offline", "mirror"])
    #expect(throws: LeafCoalesceDesignError.unknownDesign("lazy")) { try LeafCoalesceDesign(name: "lazy") }
  }

  @Test func sweptChoicesAreTypedAndLabelledByName() throws {
    let yaml =
      ManagedScenarioTests.thread + """

        sweep:
          gc.tracker: ["2019", "2025-09"]
          gc.concurrency: [per-tree]
        """
    let s = try Scenario.parse(
      yaml: yaml.replacingOccurrences(of: "leaf_coalesce: mirror", with: "leaf_coalesce: sm"),
      file: "t.yaml")
    let runs = s.runs()
    #expect(runs.map(\.settings.gc.tracker).prefix(2) == [.v2019, .v2025_09])
    #expect(
      runs.allSatisfy {
        $0.settings.gc.concurrency == .perTree && $0.settings.gc.settings.concurrency == .perTree
      })
    #expect(runs[0].point.map(\.description) == ["gc.tracker=2019", "gc.concurrency=per-tree"])
    #expect(s.policies.map(\.leafCoalesce?.name) == ["none", "live-only", "sm"])
    if case .sm(_, let tracker) = runs[4].settings.gc.design {
      #expect(tracker == .v2019)
    } else {
      Issue.record("expected sm, found \(runs[4].settings.gc.design)")
    }
  }

  @Test("gc.live_test: upstream by default, xcp-ng-8.2 reaches the design's live policy")
  func liveTestChoice() throws {
    let yaml =
      ManagedScenarioTests.thread + """

        sweep:
          gc.live_test: [upstream, xcp-ng-8.2]
          gc.tracker: ["2022"]
        """
    let s = try Scenario.parse(
      yaml: yaml.replacingOccurrences(of: "leaf_coalesce: mirror", with: "leaf_coalesce: sm"),
      file: "t.yaml")
    let runs = s.runs()
    #expect(runs.map(\.settings.gc.live.liveTest).prefix(2) == [.upstream, .xcpNG82])
    #expect(runs[1].point.map(\.description) == ["gc.live_test=xcp-ng-8.2", "gc.tracker=2022"])
    #expect(ScenarioSettings.GCOptions().live.liveTest == .upstream)
    let design = runs.first {
      $0.settings.gc.live.liveTest == .xcpNG82 && $0.settings.gc.leafCoalesce.name == "sm"
    }
    if case .sm(let policy, let tracker) = design?.settings.gc.design {
      #expect(policy.liveTest == .xcpNG82 && tracker == .v2022)
    } else {
      Issue.record("expected sm, found \(String(describing: design?.settings.gc.design))")
    }
  }
}

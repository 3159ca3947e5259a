// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Foundation
import Pool
import Simulation
import Testing
import Workloads

/// Trace workloads in scenario files (docs/scenarios.md#trace-workloads) and the `warmup` key: paths
/// relative to the scenario, one VM per device, positioned errors, and the shipped trace scenarios run
/// end to end.
@Suite struct TraceScenarioTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let fixtures = root.appendingPathComponent("Tests/Fixtures/traces")

  /// A scenario written beside the fixtures (so `trace:` can be relative), parsed.
  func parse(_ workload: String, extra: String = "") throws -> Scenario {
    let yaml = """
      name: t
      duration: 0.2
      chain: {depth: 2, size_mib: 1024}
      vms:
        - workload: \(workload)
      \(extra)
      """
    return try Scenario.parse(yaml: yaml, file: Self.fixtures.appendingPathComponent("s.yaml").path)
  }

  func error(_ workload: String, extra: String = "") -> ScenarioError? {
    do {
      _ = try parse(workload, extra: extra)
      return nil
    } catch { return error as? ScenarioError }
  }

  @Test func traceDecodesRelativeToTheScenarioFile() throws {
    let s = try parse(
      "{trace: blkparse-barriers.txt, iodepth: 4, time_scale: 0.5, address: wrap, offset_mib: 2}")
    guard case .trace(let spec) = s.vms[0].workload else {
      Issue.record("not a trace workload")
      return
    }
    #expect(spec.path == Self.fixtures.appendingPathComponent("blkparse-barriers.txt").path)
    #expect(spec.format == .blkparse)
    #expect(spec.pacing == .closedLoop(ioDepth: 4))
    #expect(spec.timeScale == 0.5)
    #expect(spec.mapping == .wrap)
    #expect(spec.offsetSectors == 4096)
    #expect(spec.repeats)
    #expect(s.warmup == .mser5)
  }

  @Test func perDeviceMakesOneVMPerDevice() throws {
    let s = try parse("{trace: blkparse-barriers.txt, per_device: true}")
    let devices = s.vms.map { vm -> String? in
      if case .trace(let spec) = vm.workload { return spec.device }
      return nil
    }
    #expect(devices == ["8,0", "8,16"])
    #expect(s.run(policy: 0, point: 0, replicate: 0).vms.count == 2)
  }

  @Test func badTraceSettingsAreErrorsAtTheirKey() throws {
    let missing = try #require(error("{trace: nowhere.txt}"))
    #expect(missing.line == 5)
    #expect(missing.message.contains("nowhere.txt"))
    let device = try #require(error("{trace: blkparse-barriers.txt, device: \"9,9\"}"))
    #expect(device.message.contains("8,0, 8,16"))
    let both = try #require(error("{trace: msr-web-2disk.csv, device: web_0, per_device: true}"))
    #expect(both.message.contains("per_device"))
    let scale = try #require(error("{trace: fio-randrw-v3.iolog, address: scale, offset_mib: 1}"))
    #expect(scale.message.contains("offset"))
    let format = try #require(error("{trace: fio-randrw-v3.iolog, format: msr}"))
    #expect(format.message.contains("7 comma-separated fields"))
    let unknown = try #require(error("{trace: fio-randrw-v3.iolog, speed: 2}"))
    #expect(unknown.message.contains("unknown key \"speed\""))
    let rate = try #require(error("{trace: fio-randrw-v3.iolog}", extra: "sweep: {vms.rate: [10, 20]}"))
    #expect(rate.message.contains("not to a trace"))
  }

  @Test func warmupKey() throws {
    #expect(try parse("{iodepth: 1}", extra: "warmup: none").warmup == WarmupRule.none)
    #expect(try parse("{iodepth: 1}", extra: "warmup: 0.05").warmup == .fixed(.milliseconds(50)))
    let long = try #require(error("{iodepth: 1}", extra: "warmup: 0.2"))
    #expect(long.line == 6)
    #expect(long.message.contains("shorter than the duration"))
    #expect(error("{iodepth: 1}", extra: "warmup: mser") != nil)
  }

  /// The shipped trace scenarios run end to end (`--quick`): every run completes requests, the fio log's
  /// flushes and the MSR trace's two disks drive their VMs.
  @Test(arguments: ["trace-fio.yaml", "trace-msr.yaml"])
  func shippedTraceScenarioRuns(_ name: String) throws {
    let s = try Scenario.load(path: Self.root.appendingPathComponent("Scenarios/\(name)").path)
    let runner = try ScenarioRunner(scenario: s, options: .init(jobs: 1, quick: true))
    let outcomes = try runner.run()
    #expect(outcomes.count == runner.runs.count)
    for o in outcomes {
      #expect(o.result.requests > 50, "\(o.run.label)")
      #expect(o.metrics.values["iops"]! > 0)
      #expect(o.metrics.values["warmup_requests"] != nil)
    }
    if name == "trace-msr.yaml" { #expect(runner.runs[0].vms.count == 2) }
  }
}

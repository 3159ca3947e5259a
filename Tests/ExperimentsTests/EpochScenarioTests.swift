// SPDX-License-Identifier: GPL-3.0-or-later
import Experiments
import Pool
import Testing

/// `resolution`, `epoch`, `sizes` and `address` in scenario files: decoded into each run's settings,
/// per policy, and refused with the position of the value that cannot work.
@Suite struct EpochScenarioTests {
  static let valid = """
    name: t
    duration: 20
    chain:
      depth: 2
      size_mib: 64
    vms:
      - count: 2
        workload:
          read_fraction: 0.5
          sizes: "4k/50:64k/50"
          address: {zipf: 1.1}
          rate: 20
    policies:
      - name: request
      - name: epoch
        resolution: epoch
        epoch: 5
    """

  func error(_ yaml: String) -> String {
    do {
      _ = try Scenario.parse(yaml: yaml, file: "s.yaml")
      return "no error"
    } catch { return error.description }
  }

  @Test func policiesCarryTheirResolutionAndTheWorkloadItsShape() throws {
    let s = try Scenario.parse(yaml: Self.valid, file: "s.yaml")
    let runs = s.runs()
    #expect(runs.map(\.settings.guest.guestResolution) == [.request, .epoch(length: .seconds(5))])
    guard case .builtIn(let spec) = runs[0].vms[0].workload else {
      Issue.record("not a built-in workload")
      return
    }
    #expect(spec.sizes?.description == "4k/50:64k/50")
    #expect(spec.address == .zipf(theta: 1.1))
    #expect(spec.largestRequestBytes == 64 << 10)
  }

  @Test func badValuesAreReportedWhereTheyAre() {
    let v = Self.valid
    #expect(
      error(v.replacingOccurrences(of: "resolution: epoch", with: "resolution: fine"))
        == "s.yaml:16:17: policies[1].resolution: expected one of request, epoch, found \"fine\"")
    #expect(
      error(v.replacingOccurrences(of: "epoch: 5", with: "epoch: 0"))
        == "s.yaml:17:12: policies[1].epoch: expected a number of seconds in [1, 604800] (one week), found 0")
    #expect(
      error(v.replacingOccurrences(of: "      rate: 20", with: "      iodepth: 4"))
        == "s.yaml:7:5: resolution: epoch (set at 16:17) needs an open-loop workload (rate); this VM "
        + "group has an iodepth, whose arrivals follow completion times that epoch resolution does not "
        + "simulate")
    #expect(
      error(v.replacingOccurrences(of: "address: {zipf: 1.1}", with: "address: {hot_set: [0.9]}"))
        == "s.yaml:11:26: vms[0].workload.address.hot_set: expected [request_fraction, disk_fraction], "
        + "found 1 values")
    #expect(
      error(v.replacingOccurrences(of: "address: {zipf: 1.1}", with: "address: pareto"))
        == "s.yaml:11:16: vms[0].workload.address: expected one of uniform, found \"pareto\"")
    #expect(
      error(v.replacingOccurrences(of: "sizes: \"4k/50:64k/50\"", with: "sizes: \"4k/50:6k/50\""))
        == "s.yaml:10:14: vms[0].workload.sizes: size 6144 bytes is not a multiple of 4 KiB in 4 KiB … 64 MiB"
    )
    #expect(
      error(v.replacingOccurrences(of: "      rate: 20", with: "      rate: 20\n      block_size_kib: 8"))
        .hasPrefix("s.yaml:10:7: vms[0].workload: block_size_kib and sizes cannot both be given"))
  }

  @Test func epochRunsRecordNoLatency() throws {
    let yaml = Self.valid.replacingOccurrences(of: "count: 2", with: "count: 1")
      .replacingOccurrences(of: "duration: 20", with: "duration: 4")
    let runner = try ScenarioRunner(
      scenario: try Scenario.parse(yaml: yaml, file: "s.yaml"), options: .init(jobs: 1))
    let outcomes = try runner.run(indices: Array(runner.runs.indices))
    let request = outcomes.first { $0.run.policy == "request" }!
    let epoch = outcomes.first { $0.run.policy == "epoch" }!
    #expect(request.metrics.values["read_latency_p50_us"] != nil)
    #expect(epoch.metrics.values["read_latency_p50_us"] == nil)
    #expect(epoch.metrics.values["latency_mean_us"] == nil)
    #expect(epoch.metrics.values["bat_probes_per_request"]! > 0)
    #expect(epoch.result.requests > 0 && epoch.result.latency.all.count == 0)
  }
}

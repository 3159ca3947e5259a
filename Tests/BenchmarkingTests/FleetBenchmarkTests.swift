// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Testing

@testable import Benchmarking

/// `bench fleet --json`: the field names the capacity studies read, and the options reaching the
/// scenario it runs.
@Suite struct FleetBenchmarkTests {
  @Test func jsonNamesTheFleetAndItsLoad() throws {
    let p = FleetBenchmark.Parameters(vms: 2, days: 1, diskGiB: 1, iops: 0.01)
    let report = try FleetBenchmark.run(p)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
    for key in [
      "vdis", "srs", "simulated_days", "resolution", "guest_requests", "wall_seconds", "peak_rss_mib",
      "iops_per_vm", "gc_coalesces", "gc_bytes_copied",
    ] {
      #expect(object[key] != nil, "missing \(key)")
    }
    #expect(object["vdis"] as? Int == 2)
    #expect(object["srs"] as? Int == 1)
    #expect(object["simulated_days"] as? Int == 1)
    #expect(object["resolution"] as? String == "request")
    #expect(object["iops_per_vm"] as? Double == 0.01)
    // Seeded: the same fleet simulates the same requests again.
    let requests = try #require(object["guest_requests"] as? Int)
    #expect(requests > 0)
    #expect(try FleetBenchmark.run(p).value("guest_requests") == Double(requests))
  }

  @Test func scenarioTextCarriesTheOptions() {
    let text = FleetBenchmark.scenario(.init(vms: 3, days: 2, diskGiB: 4, iops: 20))
    #expect(text.contains("duration: 172800"))
    #expect(text.contains("size_mib: 4096"))
    #expect(text.contains("- count: 3"))
    #expect(text.contains("rate: 20.0"))
    #expect(text.contains("resolution: request"))
    #expect(text.contains("count: 1}"))
    #expect(text.contains("block_size_kib: 1024"))
    // Room for a base, seven backups, a leaf and a coalesce per VM: 3 × 4 GiB × 10, at least 1 TiB.
    #expect(text.contains("capacity_gib: 1024}"))
    let mixed = FleetBenchmark.scenario(
      .init(vms: 40, days: 2, diskGiB: 50, iops: 20, srs: 2, sizes: "4k/50:64k/50"))
    #expect(mixed.contains("sizes: \"4k/50:64k/50\""))
    #expect(!mixed.contains("block_size_kib"))
    #expect(mixed.contains("capacity_gib: 10000}"))
  }

  /// Two SRs at epoch resolution: the VMs are spread over both (each SR its own pool), and the
  /// fleet's counts are the SRs' sums — the same as the SRs run one by one as single-SR fleets' units.
  @Test func severalSRsAtEpochResolution() throws {
    let p = FleetBenchmark.Parameters(vms: 4, days: 1, diskGiB: 1, iops: 5, srs: 2, resolution: "epoch")
    let text = FleetBenchmark.scenario(p)
    #expect(text.contains("resolution: epoch"))
    #expect(text.contains("count: 2}"))
    let report = try FleetBenchmark.run(p)
    #expect(report.value("srs") == 2)
    #expect(report.value("vdis") == 4)
    let requests = try #require(report.value("guest_requests"))
    // Poisson at 5/s for a day per VM: 4 × 432,000 expected; far from zero, and seeded.
    #expect(requests > 4 * 400_000 && requests < 4 * 460_000)
    #expect(try FleetBenchmark.run(p).value("guest_requests") == requests)
  }
}

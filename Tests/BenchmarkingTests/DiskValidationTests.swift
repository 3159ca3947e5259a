// SPDX-License-Identifier: GPL-3.0-or-later
import Benchmarking
import Foundation
import Pool
import Testing

@Suite struct DiskValidationTests {
  /// The `--quick` validation as CI runs it: it must run both sides and write its report. The demerit
  /// depends on the machine and is not checked; the engine's physical I/Os per request at iodepth 1
  /// (same chain, same request sequence, same order) must agree exactly between the two sides.
  @Test func quickValidationWritesItsReport() throws {
    let folder = QuickValidation.folder("validate-test")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var validation = DiskValidation(
      profile: .nvme, depths: [1, 3], iodepths: [1, 2], folder: folder, quick: true)
    validation.requests = 150
    guard let outcome = try QuickValidation.run(validation) else { return }
    let cases = outcome.cases
    #expect(cases.map(\.depth) == [1, 1, 3, 3] && cases.map(\.iodepth) == [1, 2, 1, 2])
    // The device check ran fio once (one round) per iodepth where fio is installed (CI installs it).
    if findExecutable("fio") != nil {
      #expect(outcome.deviceChecks.map(\.iodepth) == [1, 2])
      for d in outcome.deviceChecks {
        #expect(d.iopsFio.count == 1 && d.iopsFio[0] > 0 && d.meanUsFio[0] > 0 && d.readFraction == 0.7)
        #expect(d.iopsProfile > 0 && d.meanUsProfile > 0)
      }
    } else {
      #expect(outcome.deviceChecks.isEmpty)
    }
    #expect(
      !FileManager.default.fileExists(
        atPath: (folder as NSString).appendingPathComponent("vhdsim-calibrate.dat")))
    for c in cases {
      #expect(c.requests == 150 && c.samples.simulatedNs.count == 150)
      #expect(c.iopsReal > 0 && c.iopsSimulated > 0 && c.demeritUs.isFinite)
      // The loop's thread did work; the nvme preset charges no engine time.
      #expect(c.threadCPUPerRequestRealUs > 0 && c.threadCPUPerRequestSimulatedUs == 0)
    }
    for c in cases where c.iodepth == 1 {
      #expect(c.physicalIOsPerRequestReal == c.physicalIOsPerRequestSimulated, "depth \(c.depth)")
    }
    let out = (folder as NSString).appendingPathComponent("report")
    let report = ValidationReport(
      profile: "nvme", machine: "test", cases: cases, deviceChecks: outcome.deviceChecks)
    try report.write(to: out)
    for file in ["validation.json", "report.md", "report.html"] {
      #expect(
        FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent(file)), "\(file)")
    }
    let json = try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any]
    #expect(json?["profile"] as? String == "nvme")
    let first = (json?["cases"] as? [[String: Any]])?.first
    // The host device's figures where the folder's device has kernel counters (not on tmpfs).
    let hostKeys: Set<String> =
      cases[0].hostDiskReal == nil
      ? []
      : [
        "host_disk_ios_per_request_real", "host_disk_mean_queue_real", "host_disk_us_per_io_real",
        "host_disk_us_per_read_real", "host_disk_us_per_write_real",
      ]
    #expect(
      Set(first?.keys.map { $0 } ?? [])
        == Set([
          "depth", "iodepth", "read_fraction", "requests", "iops_real", "iops_simulated", "p50_real_us",
          "p50_simulated_us", "p99_real_us", "p99_simulated_us", "demerit_us", "demerit_percent",
          "physical_ios_per_request_real", "physical_ios_per_request_simulated",
          "thread_cpu_per_request_real_us", "thread_cpu_per_request_simulated_us",
          "thread_occupied_per_request_real_us", "submit_per_request_real_us",
          "thread_occupied_per_request_simulated_us", "submit_per_request_simulated_us", "io_us_real",
          "io_us_simulated",
          "ios_in_flight_real", "ios_in_flight_simulated", "completions_per_collect_real",
          "completions_per_collect_simulated", "classes",
        ]).union(hostKeys))
    // Both sides timed their I/Os: at iodepth 1 at most one is in flight (the loop's thread also
    // works between them), at iodepth 2 at most two; each took some time.
    for c in cases {
      let p = c.perRequest
      #expect(p.ioUsReal > 0 && p.ioUsSimulated > 0, "depth \(c.depth) iodepth \(c.iodepth)")
      #expect(p.iosInFlightReal > 0 && p.iosInFlightReal <= Double(c.iodepth) * 1.0001)
      #expect(p.iosInFlightSimulated > 0 && p.iosInFlightSimulated <= Double(c.iodepth) * 1.0001)
    }
    // The loop's io_getevents returned one completion a call at iodepth 1 (one I/O in flight), one
    // or two at iodepth 2; the nvme preset's pool serves I/Os without the thread in turns (no
    // queue-depth curve, no thread charges), so the model collected nothing.
    for c in cases {
      let p = c.perRequest
      if c.iodepth == 1 { #expect(p.completionsPerCollectReal == 1, "depth \(c.depth)") }
      #expect(p.completionsPerCollectReal >= 1 && p.completionsPerCollectReal <= Double(c.iodepth))
      #expect(p.completionsPerCollectSimulated == 0)
    }
    // Where counted, the device completed I/O in every case: the engine's went to it with O_DIRECT.
    for c in cases {
      guard let host = c.hostDiskReal else { continue }
      #expect(host.iosPerRequest > 0 && host.meanQueue > 0 && host.usPerIO > 0, "depth \(c.depth)")
      #expect(host.usPerRead > 0 && host.usPerWrite > 0, "depth \(c.depth)")
    }
    // The real loop timed its system calls: it was occupied for some of every case, part of it in
    // io_submit, and never longer than the run.
    for c in cases {
      #expect(c.submitPerRequestRealUs > 0 && c.threadOccupiedPerRequestRealUs >= c.submitPerRequestRealUs)
      #expect(c.threadOccupiedPerRequestRealUs * c.iopsReal <= 1e6 * 1.001)
    }
    // The classes split every request, and both sides served the same requests.
    for c in cases {
      #expect(c.samples.classes.reduce(0) { $0 + $1.requestsReal } == c.requests)
      #expect(c.samples.classes.reduce(0) { $0 + $1.requestsSimulated } == c.requests)
    }
    for c in cases where c.iodepth == 1 {
      #expect(c.samples.classes.allSatisfy { $0.requestsReal == $0.requestsSimulated }, "depth \(c.depth)")
    }
    let markdown = try String(
      contentsOfFile: (out as NSString).appendingPathComponent("report.md"), encoding: .utf8)
    #expect(markdown.contains("in every case") || markdown.contains("differ in"))
    #expect(markdown.contains("The simulation meets the accuracy goal"))
    #expect(markdown.contains("I/Os in flight: the loop, the model and the host's device"))
    #expect(markdown.contains("The folder's device has no kernel counters") == (cases[0].hostDiskReal == nil))
    // One run: no spread section, no error bars.
    #expect(!markdown.contains("Within the machine's own spread"))
    // The device check's section and JSON where it ran.
    #expect(markdown.contains("The device alone, now against the profile") == !outcome.deviceChecks.isEmpty)
    let checks = json?["device_check"] as? [[String: Any]]
    #expect((checks?.count ?? 0) == outcome.deviceChecks.count)
    if let first = checks?.first {
      #expect(
        Set(first.keys).subtracting(["host_disk_us_per_io_fio", "host_disk_mean_queue_fio"])
          == [
            "iodepth", "read_fraction", "runs", "iops_fio", "iops_fio_min", "iops_fio_max",
            "mean_latency_fio_us",
            "iops_profile", "mean_latency_profile_us", "iops_fio_over_profile",
          ])
    }
  }

  /// Requests split by read/write and physical I/Os; means and p99 per side, classes only one side
  /// has show zeros on the other.
  @Test func requestClassesGroupBothSides() {
    typealias R = RequestClassComparison.Request
    let real = [
      R(isWrite: false, physicalIOs: 1, latencyNs: 100_000),
      R(isWrite: false, physicalIOs: 1, latencyNs: 300_000),
      R(isWrite: true, physicalIOs: 3, latencyNs: 500_000),
    ]
    let sim = [
      R(isWrite: false, physicalIOs: 1, latencyNs: 200_000),
      R(isWrite: true, physicalIOs: 6, latencyNs: 900_000),
    ]
    let k = RequestClassComparison.compare(real: real, simulated: sim)
    #expect(k.map(\.isWrite) == [false, true, true] && k.map(\.physicalIOs) == [1, 3, 6])
    #expect(k[0].requestsReal == 2 && k[0].requestsSimulated == 1)
    #expect(k[0].meanRealUs == 200 && k[0].meanSimulatedUs == 200)
    #expect(abs(k[0].p99RealUs - 298) < 1e-9)
    #expect(k[1].requestsSimulated == 0 && k[1].meanSimulatedUs == 0 && k[1].meanRealUs == 500)
    #expect(k[2].requestsReal == 0 && k[2].p99SimulatedUs == 900)
  }

  @Test func demeritIsTheRMSDistanceBetweenQuantileFunctions() {
    let real = (1...1000).map(Double.init)
    // Shifted by 10 everywhere: every horizontal distance is 10.
    #expect(abs(CDFComparison.demerit(real: real, simulated: real.map { $0 + 10 }) - 10) < 1e-9)
    #expect(CDFComparison.demerit(real: real, simulated: real) == 0)
    #expect(CDFComparison.quantile([1, 2, 3, 4, 5], 0.5) == 3)
  }
}

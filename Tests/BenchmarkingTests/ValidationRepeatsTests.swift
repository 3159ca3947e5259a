// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Pool
import Testing

@testable import Benchmarking

/// `vhdsim validate --repeats N`: the real side's spread (median, min/max, the leave-one-out noise
/// floor) on samples small enough to know the answer, the range check of N, the pooling of the real
/// runs into one case, and a quick run with two repeats through to its report.
@Suite struct ValidationRepeatsTests {
  @Test func medianOfOddAndEvenCounts() {
    #expect(RealRunSpread.median([3, 1, 2]) == 2)
    #expect(RealRunSpread.median([4, 1, 3, 2]) == 2.5)
    #expect(RealRunSpread.median([7]) == 7)
    #expect(RealRunSpread.pooled([[3, 1], [2]]) == [1, 2, 3])
  }

  /// Two runs: each is the other's leave-one-out partner, so the floor is their demerit (a shift of
  /// 10 everywhere: 10). Three runs, two alike and one 300 ns slower: leaving the slow one out
  /// compares it with a pooled sample of 100 ns throughout, the largest of the three (exactly 300);
  /// leaving out one of the fast runs compares it with a pooled sample that is half 400 ns, less.
  @Test func noiseFloorIsTheLargestLeaveOneOutDemerit() {
    let a = (1...1000).map(Double.init)
    #expect(abs(RealRunSpread.noiseFloor([a, a.map { $0 + 10 }]) - 10) < 1e-9)
    #expect(RealRunSpread.noiseFloor([a]) == 0)
    let fast = [100.0, 100]
    let slow = [400.0, 400]
    #expect(RealRunSpread.noiseFloor([fast, fast, slow]) == 300)
    #expect(RealRunSpread.noiseFloor([slow, fast, fast]) == 300)
    #expect(CDFComparison.demerit(real: RealRunSpread.pooled([fast, slow]), simulated: fast) < 300)
  }

  /// The figures of three runs: IOPS range, p50 and p99 ranges, the floor in µs and as % of the mean
  /// of all three runs' latencies (4 × 100 µs and 2 × 400 µs: 200 µs, so 300 µs is 150 %).
  @Test func spreadOfThreeRuns() {
    let s = RealRunSpread(runs: [
      .init(iops: 1000, latenciesNs: [100_000, 100_000]),
      .init(iops: 900, latenciesNs: [100_000, 100_000]),
      .init(iops: 1300, latenciesNs: [400_000, 400_000]),
    ])
    #expect(s.repeats == 3 && s.iopsMin == 900 && s.iopsMax == 1300)
    #expect(s.p50MinUs == 100 && s.p50MaxUs == 400 && s.p99MinUs == 100 && s.p99MaxUs == 400)
    #expect(s.demeritUs == 300 && s.demeritPercent == 150)
    #expect(s.contains(iops: 900) && s.contains(iops: 1300) && s.contains(iops: 1000))
    #expect(!s.contains(iops: 899.5) && !s.contains(iops: 1300.5))
  }

  /// The I/Os' time in flight pools over the real runs as sums: the time per I/O over all their I/Os,
  /// the mean in flight over all their time (Little's law); the simulated side's from its one run.
  @Test func poolsTheIOsTimeInFlight() {
    typealias R = RequestClassComparison.Request
    func run(inFlight: Double, ios: Int, elapsed: Double) -> ChainRunResult {
      ChainRunResult(
        requests: [R(isWrite: false, physicalIOs: 1, latencyNs: 1000)], elapsedSeconds: elapsed,
        physicalIOs: ios, inFlightSeconds: inFlight, iosTimed: ios)
    }
    let c = ValidationCase(
      depth: 1, iodepth: 8, readFraction: 0.7,
      real: [run(inFlight: 0.004, ios: 20, elapsed: 0.002), run(inFlight: 0.006, ios: 30, elapsed: 0.003)],
      simulated: run(inFlight: 0.01, ios: 40, elapsed: 0.004))
    let p = c.perRequest
    #expect(abs(p.ioUsReal - 200) < 1e-9 && abs(p.iosInFlightReal - 2) < 1e-9)
    #expect(abs(p.ioUsSimulated - 250) < 1e-9 && abs(p.iosInFlightSimulated - 2.5) < 1e-9)
  }

  /// A case from three real runs and one simulated: the real side pooled (percentiles, demerit,
  /// classes, physical I/Os per request), IOPS the runs' median, `requests` per run; the simulated
  /// IOPS outside the real range, its demerit (300 µs against a pooled 100, 100, 400: about 167 µs)
  /// within the floor (300 µs).
  @Test func aCaseFromSeveralRealRunsPoolsThem() throws {
    typealias R = RequestClassComparison.Request
    // Collections: the 400 µs run's io_getevents returned 8 in 2 calls, the others 1 in 1.
    func run(_ latencyUs: Double, iops: Double) -> ChainRunResult {
      ChainRunResult(
        requests: [
          R(isWrite: false, physicalIOs: 1, latencyNs: latencyUs * 1000),
          R(isWrite: true, physicalIOs: 3, latencyNs: latencyUs * 1000),
        ],
        elapsedSeconds: 2 / iops, physicalIOs: 4, threadBusySeconds: latencyUs * 1e-6,
        threadWaitingSeconds: 1 / iops, submitSeconds: latencyUs * 0.5e-6,
        collections: latencyUs == 400
          ? CollectionCounts(calls: 2, completions: 8) : CollectionCounts(calls: 1, completions: 1))
    }
    let simulated = run(300, iops: 2000)
    let c = ValidationCase(
      depth: 2, iodepth: 1, readFraction: 0.7,
      real: [run(100, iops: 1000), run(100, iops: 900), run(400, iops: 1300)],
      simulated: simulated)
    #expect(c.requests == 2 && c.samples.realNs.count == 6 && c.samples.simulatedNs.count == 2)
    #expect(abs(c.iopsReal - 1000) < 1e-6 && abs(c.iopsSimulated - 2000) < 1e-6)
    #expect(c.p50RealUs == 100 && c.p99RealUs == 400)
    #expect(c.physicalIOsPerRequestReal == 2 && c.physicalIOsPerRequestSimulated == 2)
    // Completions per io_getevents pooled over the runs' calls (10 in 4), not a mean of the runs' ratios
    // (which would be 2).
    #expect(c.perRequest.completionsPerCollectReal == 2.5 && c.perRequest.completionsPerCollectSimulated == 1)
    // Thread time per request: (100 + 100 + 400) µs over 6 real requests, 300 µs over 2 simulated.
    #expect(
      abs(c.threadCPUPerRequestRealUs - 100) < 1e-9 && abs(c.threadCPUPerRequestSimulatedUs - 150) < 1e-9)
    // Occupied: each run's elapsed time less its wait (1 / IOPS of 2 / IOPS), over the 6 real
    // requests; in io_submit (50 + 50 + 200) µs over 6.
    let occupied = 1e6 * (1.0 / 1000 + 1.0 / 900 + 1.0 / 1300) / 6
    #expect(abs(c.threadOccupiedPerRequestRealUs - occupied) < 1e-9)
    #expect(abs(c.submitPerRequestRealUs - 50) < 1e-9)
    #expect(
      c.samples.classes.map(\.requestsReal) == [3, 3] && c.samples.classes.map(\.requestsSimulated) == [1, 1])
    let s = try #require(c.realSpread)
    #expect(s.repeats == 3 && abs(s.demeritUs - 300) < 1e-9)
    #expect(c.iopsWithinRealRange == false && c.demeritWithinRealSpread == true)
    // The IOPS plot, in thousands: the point at (median real, simulated), its bar over the real range.
    let plot = ValidationReport(profile: "p", machine: "m", cases: [c]).iopsPlot
    #expect(plot.series[0].rows == [[1, 2, 0.9, 1.3]] && plot.xLabel.contains("thousands"))
    // The JSON: every field it had, and the spread's beside them.
    let encoded = try JSONSerialization.jsonObject(
      with: Data(ValidationReport(profile: "p", machine: "m", cases: [c]).json.utf8))
    let row = try #require(((encoded as? [String: Any])?["cases"] as? [[String: Any]])?.first)
    #expect(
      Set(row.keys) == [
        "depth", "iodepth", "read_fraction", "requests", "iops_real", "iops_simulated", "p50_real_us",
        "p50_simulated_us", "p99_real_us", "p99_simulated_us", "demerit_us", "demerit_percent",
        "physical_ios_per_request_real", "physical_ios_per_request_simulated",
        "thread_cpu_per_request_real_us", "thread_cpu_per_request_simulated_us",
        "thread_occupied_per_request_real_us", "submit_per_request_real_us",
        "thread_occupied_per_request_simulated_us", "submit_per_request_simulated_us", "io_us_real",
        "io_us_simulated",
        "ios_in_flight_real", "ios_in_flight_simulated", "completions_per_collect_real",
        "completions_per_collect_simulated", "classes", "repeats",
        "iops_real_min", "iops_real_max", "p50_real_us_min", "p50_real_us_max", "p99_real_us_min",
        "p99_real_us_max", "demerit_real_spread_us", "demerit_real_spread_percent", "iops_within_real_range",
        "demerit_within_real_spread",
      ])
    #expect(row["repeats"] as? Int == 3 && row["iops_within_real_range"] as? Bool == false)
    #expect((row["demerit_real_spread_percent"] as? NSNumber)?.doubleValue == 150)
    // One run: no spread, and the JSON has only the fields it had before repeats.
    let single = ValidationCase(
      depth: 2, iodepth: 1, readFraction: 0.7, real: [run(100, iops: 1000)], simulated: simulated)
    #expect(
      single.realSpread == nil && single.iopsWithinRealRange == nil && single.demeritWithinRealSpread == nil)
    let json = ValidationReport(profile: "p", machine: "m", cases: [single]).json
    #expect(!json.contains("repeats") && !json.contains("iops_real_min"))
  }

  @Test func repeatsOutsideOneToTwentyAreRejected() throws {
    #expect(throws: ValidationOptionError.repeatsOutOfRange(0)) { try DiskValidation.check(repeats: 0) }
    #expect(throws: ValidationOptionError.repeatsOutOfRange(21)) { try DiskValidation.check(repeats: 21) }
    try DiskValidation.check(repeats: 1)
    try DiskValidation.check(repeats: 20)
    #expect(
      "\(ValidationOptionError.repeatsOutOfRange(21))" == "--repeats must be an integer 1...20, found 21")
    // `run` checks before it makes the folder or touches the device.
    let folder = NSTemporaryDirectory() + "vhdsim-validate-repeats-\(getpid())"
    var validation = DiskValidation(profile: .nvme, depths: [1], iodepths: [1], folder: folder, quick: true)
    validation.repeats = 0
    #expect(throws: ValidationOptionError.repeatsOutOfRange(0)) { try validation.run() }
    #expect(!FileManager.default.fileExists(atPath: folder))
  }

  @Test func requestsOutsideTheirRangeAreRejectedBeforeAnythingRuns() throws {
    #expect(throws: ValidationOptionError.requestsOutOfRange(99)) { try DiskValidation.check(requests: 99) }
    #expect(throws: ValidationOptionError.requestsOutOfRange(1_000_001)) {
      try DiskValidation.check(requests: 1_000_001)
    }
    try DiskValidation.check(requests: 100)
    try DiskValidation.check(requests: 1_000_000)
    let folder = NSTemporaryDirectory() + "vhdsim-validate-requests-\(getpid())"
    var validation = DiskValidation(profile: .nvme, depths: [1], iodepths: [1], folder: folder, quick: true)
    validation.requests = 0
    #expect(throws: ValidationOptionError.requestsOutOfRange(0)) { try validation.run() }
    #expect(!FileManager.default.fileExists(atPath: folder))
  }

  /// The simulated side runs once per case however many real runs there are: it must give the same
  /// requests and latencies every time (same profile, same seed).
  @Test func theSimulatedSideIsDeterministic() throws {
    var validation = DiskValidation(profile: .nvme, depths: [3], iodepths: [2], folder: "unused", quick: true)
    validation.requests = 150
    let first = try validation.side(depth: 3, iodepth: 2).simulated.run()
    let second = try validation.side(depth: 3, iodepth: 2).simulated.run()
    #expect(first.requests.count == 150)
    #expect(first.requests.map(\.latencyNs) == second.requests.map(\.latencyNs))
    #expect(first.requests.map(\.physicalIOs) == second.requests.map(\.physicalIOs))
    #expect(first.elapsedSeconds == second.elapsedSeconds && first.physicalIOs == second.physicalIOs)
  }

  /// `vhdsim validate --quick --repeats 2` as the command runs it (one chain depth, both iodepths, few
  /// requests to stay fast): every case's real side twice in rounds, the simulated side once, the
  /// progress naming the repeats, and the JSON and report carrying the spread.
  @Test func quickValidationWithTwoRepeats() throws {
    let folder = QuickValidation.folder("validate-repeats-test")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var validation = DiskValidation(
      profile: .nvme, depths: [2], iodepths: [1, 2], folder: folder, quick: true)
    validation.requests = 100
    validation.repeats = 2
    validation.deviceCheck = false
    var progress: [ValidationProgress] = []
    validation.progress = { progress.append($0) }
    guard let cases = try QuickValidation.run(validation)?.cases else { return }
    // Simulated once a case, then round 1 (both cases), then round 2.
    #expect(progress.map(\.done) == [1, 2, 3, 4, 5, 6] && progress.allSatisfy { $0.total == 6 })
    #expect(progress.map(\.repeatNow) == [nil, 1, 1, 2, 2, 2])
    #expect(
      progress.map(\.step) == [
        "depth 2, iodepth 1: simulated", "depth 2, iodepth 2: simulated",
        "depth 2, iodepth 1: real, repeat 1 of 2", "depth 2, iodepth 2: real, repeat 1 of 2",
        "depth 2, iodepth 1: real, repeat 2 of 2", "depth 2, iodepth 2: real, repeat 2 of 2",
      ])
    #expect(progress.map(\.phase)[2...3] == ["repeat 1 of 2", "repeat 2 of 2"])
    #expect(cases.count == 2)
    for c in cases {
      #expect(c.requests == 100 && c.samples.realNs.count == 200 && c.samples.simulatedNs.count == 100)
      #expect(c.samples.classes.reduce(0) { $0 + $1.requestsReal } == 200)
    }
    // Each run rebuilt the same chain and served the same requests: at iodepth 1 the engine issued the
    // same I/Os in both runs, so the pooled real count per request equals the simulated one.
    #expect(cases[0].physicalIOsPerRequestReal == cases[0].physicalIOsPerRequestSimulated)
    let out = (folder as NSString).appendingPathComponent("report")
    let report = ValidationReport(profile: "nvme", machine: "test", cases: cases)
    try report.write(to: out)
    let json = try JSONSerialization.jsonObject(
      with: try Data(
        contentsOf: URL(fileURLWithPath: (out as NSString).appendingPathComponent("validation.json"))))
    let rows = try #require((json as? [String: Any])?["cases"] as? [[String: Any]])
    for row in rows {
      func number(_ key: String) -> Double { (row[key] as? NSNumber)?.doubleValue ?? .nan }
      #expect(row["repeats"] as? Int == 2)
      #expect(
        number("iops_real_min") <= number("iops_real") && number("iops_real") <= number("iops_real_max"))
      #expect(number("iops_real_min") > 0)
      #expect(number("p50_real_us_min") <= number("p50_real_us_max") && number("p50_real_us_min") > 0)
      #expect(number("p99_real_us_min") <= number("p99_real_us_max"))
      #expect(number("demerit_real_spread_us") >= 0 && number("demerit_real_spread_percent") >= 0)
      #expect(row["iops_within_real_range"] is Bool && row["demerit_within_real_spread"] is Bool)
      #expect(row["demerit_us"] != nil && row["classes"] != nil)
    }
    let markdown = try String(
      contentsOfFile: (out as NSString).appendingPathComponent("report.md"), encoding: .utf8)
    #expect(markdown.contains("## Within the machine's own spread"))
    #expect(markdown.contains("The real side of every case ran 2 times, in rounds"))
    #expect(markdown.contains("lands within the machine's own run-to-run spread in"))
    let html = try String(
      contentsOfFile: (out as NSString).appendingPathComponent("report.html"), encoding: .utf8)
    #expect(html.contains("Within the machine's own spread"))
    if let script = try? String(
      contentsOfFile: (out as NSString).appendingPathComponent("plots/iops.gp"), encoding: .utf8)
    {
      #expect(script.contains("with xerrorbars"))
    }
  }
}

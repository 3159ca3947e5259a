// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Simulation

/// The kernel benchmark: the hold model with 1,000 pending events and M/M/1, side by side with the
/// same models in SimPy (Benchmarks/simpy, installed into a private venv from PyPI on first use).
public enum KernelBenchmarks {
  public static func run(holdEvents: Int = 10_000_000, customers: Int = 2_000_000, withSimPy: Bool = true)
    throws
    -> BenchReport
  {
    var report = BenchReport(name: "kernel")
    var holds: [Double] = []
    var mm1s: [(events: Double, customers: Double)] = []
    for rep in 0..<3 {
      holds.append(
        KernelBenchmark.hold(pending: 1000, events: holdEvents, seed: 42 + UInt64(rep)).eventsPerSecond)
      let m = KernelBenchmark.mm1(customers: customers, seed: 42 + UInt64(rep))
      mm1s.append((m.eventsPerSecond, m.customersPerSecond))
    }
    let hold = median(holds)
    let mm1Events = median(mm1s.map(\.events))
    let mm1Customers = median(mm1s.map(\.customers))
    report.add("hold_pending", 1000)
    report.add("hold_events_per_second", hold)
    report.add("mm1_events_per_second", mm1Events)
    report.add("mm1_customers_per_second", mm1Customers)
    guard withSimPy, let script = simpyScript() else {
      report.note("simpy", "not run (Benchmarks/simpy/run.sh not found from the current folder)")
      return report
    }
    let env = ["HOLD_PENDING": "1000", "HOLD_EVENTS": "1000000", "MM1_CUSTOMERS": "300000"]
    let output = try runProgram("/bin/bash", [script], environment: env)
    guard output.status == 0 else {
      report.note("simpy", "run.sh failed with status \(output.status) (python3-venv and PyPI needed)")
      return report
    }
    let lines = output.output.split(separator: "\n").compactMap {
      try? JSONDecoder().decode(SimPyLine.self, from: Data($0.utf8))
    }
    if let h = lines.first(where: { $0.model == "hold" }), let eps = h.eventsPerSecond {
      report.add("simpy_hold_events_per_second", eps)
      report.add("simpy_ratio_hold", hold / eps)
    }
    if let m = lines.first(where: { $0.model == "mm1" }) {
      if let eps = m.eventsPerSecond { report.add("simpy_mm1_events_per_second", eps) }
      if let cps = m.customersPerSecond {
        report.add("simpy_mm1_customers_per_second", cps)
        // Like for like: customers simulated per wall second of the same M/M/1 model.
        report.add("simpy_ratio", mm1Customers / cps)
      }
    }
    return report
  }

  /// One line of the SimPy peer's output (Benchmarks/simpy/run.sh).
  struct SimPyLine: Decodable {
    var model: String
    var eventsPerSecond: Double?
    var customersPerSecond: Double?
    enum CodingKeys: String, CodingKey {
      case model
      case eventsPerSecond = "events_per_second"
      case customersPerSecond = "customers_per_second"
    }
  }

  static func simpyScript() -> String? {
    var dir = FileManager.default.currentDirectoryPath
    for _ in 0..<6 {
      let candidate = dir + "/Benchmarks/simpy/run.sh"
      if FileManager.default.fileExists(atPath: candidate) { return candidate }
      dir = (dir as NSString).deletingLastPathComponent
    }
    return nil
  }
}

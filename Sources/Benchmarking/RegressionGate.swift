// SPDX-License-Identifier: GPL-3.0-or-later
import Foundation
import Statistics

/// A committed baseline (Benchmarks/baseline.json): the counters and timing samples of a run, and
/// per-counter tolerances. Counters are compared exactly unless a tolerance is declared.
public struct Baseline: Codable, Sendable, Equatable {
  public var run: RegressionSuite.Run
  /// Relative tolerance per counter name (0.01 = 1%); absent = exact.
  public var tolerances: [String: Double]
  public var note: String

  public init(run: RegressionSuite.Run, tolerances: [String: Double] = [:], note: String = "") {
    self.run = run
    self.tolerances = tolerances
    self.note = note
  }

  public static func load(_ path: String) throws -> Baseline {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    do { return try JSONDecoder().decode(Baseline.self, from: data) } catch {
      throw GateError("\(path): not a baseline file (\(error))")
    }
  }

  public func save(_ path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try encoder.encode(self).write(to: URL(fileURLWithPath: path))
  }
}

public struct GateError: Error, CustomStringConvertible {
  public var description: String
  public init(_ d: String) { description = d }
}

/// Judges a run against a baseline: a moved counter fails; a timing is a regression when Welch's
/// test says the difference is significant and it is slower by more than `slowdownThreshold`
/// (a warning), or more than `failFactor` times slower (a failure).
public struct RegressionGate: Sendable {
  public var slowdownThreshold = 0.10
  public var failFactor = 2.0
  public var significance = 0.05

  public init(slowdownThreshold: Double = 0.10, failFactor: Double = 2.0, significance: Double = 0.05) {
    self.slowdownThreshold = slowdownThreshold
    self.failFactor = failFactor
    self.significance = significance
  }

  public enum Verdict: String, Sendable, Comparable {
    case same, faster, noise, slower, changed, failed
    var rank: Int { [.same: 0, .faster: 0, .noise: 0, .slower: 1, .changed: 2, .failed: 2][self]! }
    public static func < (a: Verdict, b: Verdict) -> Bool { a.rank < b.rank }
  }

  public struct Row: Sendable, Equatable {
    public var metric: String
    public var baseline: String
    public var now: String
    public var change: String
    public var verdict: Verdict
  }

  public struct Report: Sendable {
    public var rows: [Row]
    public var unchangedCounters: Int
    /// Peer ratios of this run (informational).
    public var peers: [String: Double] = [:]
    /// Any counter moved beyond its tolerance, or a timing beyond `failFactor`.
    public var failed: Bool { rows.contains { $0.verdict == .changed || $0.verdict == .failed } }
    public var warned: Bool { rows.contains { $0.verdict == .slower } }

    public var markdown: String {
      var lines = [
        "| metric | baseline | now | change | verdict |",
        "|---|---|---|---|---|",
      ]
      for r in rows {
        lines.append("| \(r.metric) | \(r.baseline) | \(r.now) | \(r.change) | \(r.verdict.rawValue) |")
      }
      if !peers.isEmpty {
        lines.append("")
        lines.append("| peer ratio (not gated) | value |")
        lines.append("|---|---|")
        for (k, v) in peers.sorted(by: { $0.key < $1.key }) {
          lines.append("| \(k) | \(RegressionGate.format(v)) |")
        }
      }
      lines.append("")
      lines.append(
        "\(unchangedCounters) counters unchanged. Verdict: "
          + (failed ? "FAIL" : warned ? "pass with timing warnings" : "pass") + ".")
      return lines.joined(separator: "\n")
    }

    /// The counters and timings that failed, for a one-line error.
    public var failures: [String] {
      rows.filter { $0.verdict == .changed || $0.verdict == .failed }.map {
        "\($0.metric) \($0.baseline) → \($0.now)"
      }
    }
  }

  public func compare(_ now: RegressionSuite.Run, with baseline: Baseline) -> Report {
    var rows: [Row] = []
    var unchanged = 0
    for name in Set(baseline.run.counters.keys).union(now.counters.keys).sorted() {
      let b = baseline.run.counters[name]
      let n = now.counters[name]
      guard let b, let n else {
        rows.append(
          Row(
            metric: name, baseline: b.map(Self.format) ?? "—", now: n.map(Self.format) ?? "—",
            change: "new or gone",
            verdict: .changed))
        continue
      }
      let tolerance = baseline.tolerances[name] ?? 0
      let moved = tolerance == 0 ? b != n : abs(n - b) > tolerance * max(abs(b), 1e-300)
      if moved {
        rows.append(
          Row(
            metric: name, baseline: Self.format(b), now: Self.format(n), change: Self.relative(b, n),
            verdict: .changed))
      } else {
        unchanged += 1
      }
    }
    for name in now.timings.keys.sorted() {
      guard let b = baseline.run.timings[name], let n = now.timings[name], !b.isEmpty, !n.isEmpty else {
        continue
      }
      rows.append(judgeTiming(name, baseline: b, now: n))
    }
    return Report(rows: rows, unchangedCounters: unchanged, peers: now.peers ?? [:])
  }

  func judgeTiming(_ name: String, baseline b: [Double], now n: [Double]) -> Row {
    let mb = b.reduce(0, +) / Double(b.count)
    let mn = n.reduce(0, +) / Double(n.count)
    let ratio = mn / mb
    var p = 1.0
    if b.count >= 2 && n.count >= 2, let t = try? welchTTest(n, b) { p = t.pValue }
    let significant = p < significance
    let verdict: Verdict
    if significant && ratio > failFactor {
      verdict = .failed
    } else if significant && ratio > 1 + slowdownThreshold {
      verdict = .slower
    } else if significant && ratio < 1 - slowdownThreshold {
      verdict = .faster
    } else {
      verdict = .noise
    }
    return Row(
      metric: name, baseline: Self.format(mb), now: Self.format(mn),
      change: String(format: "×%.3f (p = %.3g)", ratio, p), verdict: verdict)
  }

  static func format(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e12 ? String(Int64(v)) : String(format: "%.6g", v)
  }

  static func relative(_ b: Double, _ n: Double) -> String {
    b == 0 ? String(format: "%+.6g", n - b) : String(format: "%+.2f%%", (n - b) / abs(b) * 100)
  }
}
